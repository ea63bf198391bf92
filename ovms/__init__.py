"""ovms-py: an OpenVINO model-serving daemon compatible with OpenVINO Model Server."""

__version__ = "2026.11.0"
