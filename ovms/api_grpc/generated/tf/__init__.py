"""TensorFlow core messages (package ovmspy.tensorflow); generated, do not edit."""
