"""TF Serving API messages (package ovmspy.tensorflow.serving); generated, do not edit."""
