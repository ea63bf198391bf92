"""Prometheus metrics with OpenVINO Model Server's family names, labels, HELP texts and buckets.

- :mod:`families`: what exists (names, types, labels, buckets; default and optional families);
- :mod:`config`: which families are on (CLI flags or ``monitoring.metrics``, validated as OVMS);
- :mod:`series`: the loop-owned counters, gauges and histograms the request path updates;
- :mod:`reporter`: :class:`~ovms.metrics.reporter.ServerMetrics`, the daemon's metrics (request
  accounting for the DataPlane, observers for the scheduler and the manager);
- :mod:`collector`: a prometheus-client collector over those series plus live scheduler state;
- :mod:`exposition`: the text format (OVMS's counter names, without ``_total``) and ``GET /metrics``.

Nothing is registered at import time: the daemon owns one :class:`prometheus_client.CollectorRegistry`.
"""
