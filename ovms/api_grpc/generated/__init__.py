"""Generated protobuf messages (see tools/gen_protos.py); do not edit."""
