"""Benchmark of the ovms daemon against raw OpenVINO and bare-server floors (``python -m benchmarks``).

Modules: ``models`` (builds the model repository and config.json), ``payloads`` (request bodies
per protocol), ``loadgen`` (h2load / wrk runs and their parsing), ``raw_openvino`` and ``floors``
(the limits, each run as its own process), ``servers`` (starting the daemon and the floors),
``procstat`` (CPU accounting), ``report`` (ratios, targets, table), ``run`` (the command line and
the order of the measurements).
"""
