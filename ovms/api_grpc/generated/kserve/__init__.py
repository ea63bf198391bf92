"""KServe v2 messages (package ovmspy.inference); generated, do not edit."""
