"""The gRPC edge: TF Serving and KServe v2 services over :class:`ovms.dataplane.DataPlane`.

Modules:
- ``server``: ``build_grpc_server`` (the only entry point the composition root needs);
- ``tfs_service`` / ``kserve_service``: the RPC handlers, one DataPlane call each;
- ``tfs_messages`` / ``kserve_messages``: request/response converters (protobuf <-> domain);
- ``tfs_tensors`` / ``kserve_tensors``: tensor and datatype converters;
- ``rpc``: request parsing, the error wrapper around every handler, deadlines;
- ``status``: the one table mapping domain error codes to gRPC status codes;
- ``protos/`` and ``generated/``: our wire-compatible .proto files and their generated messages
  (regenerate with ``python tools/gen_protos.py``).

Protobuf types never leave this package.
"""
