"""Which metric families are on: from ``--metrics_enable``/``--metrics_list`` or ``monitoring.metrics``.

Read once at start-up, as OVMS does: a later config reload never changes the metrics setup.
Rules (OVMS's ``MetricConfig`` and ``ModelManager::loadMetricsConfig``):

- the CLI flags and a ``monitoring`` section in config.json are exclusive ("Metrics configuration
  duplicated"); with a config file without ``monitoring``, the CLI flags apply;
- enabled without a list: the default families; with a list: exactly the listed ones; a name
  that is no family fails start-up ("Invalid name in metrics_list"). An empty ``metrics_list``
  counts as no list (OVMS would enable no family at all);
- enabled metrics need ``--rest_port`` (the endpoint is on the REST port).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ovms.config_file import MonitoringConfig
from ovms.errors import ConfigError
from ovms.metrics.families import ALL_FAMILIES, DEFAULT_FAMILIES

INVALID_NAME = "Invalid name in metrics_list"
DUPLICATED = ("Metrics configuration duplicated: metrics are set both by CLI parameters "
              "(--metrics_enable/--metrics_list) and by the monitoring section of the config file")
REST_PORT_MISSING = "Missing rest_port parameter in server CLI"


@dataclass(frozen=True)
class MetricsConfig:
    """The resolved metrics setup: on or off, and the enabled family names."""

    enabled: bool = False
    families: frozenset[str] = frozenset()

    def on(self, family: str) -> bool:
        """Whether ``family`` is exported."""
        return self.enabled and family in self.families


DISABLED = MetricsConfig()


def check_names(names: Iterable[str]) -> tuple[str, ...]:
    """Trimmed family names; raises ConfigError naming the first unknown one."""
    trimmed = tuple(n.strip() for n in names)
    for name in trimmed:
        if name not in ALL_FAMILIES:
            raise ConfigError(f"{INVALID_NAME}: {name!r} (known: {', '.join(sorted(ALL_FAMILIES))})")
    return trimmed


def resolve(cli_enable: bool, cli_list: Iterable[str], monitoring: MonitoringConfig | None,
            rest_port: int) -> MetricsConfig:
    """The metrics setup of a daemon; raises ConfigError with OVMS's texts (see module doc).

    ``cli_list`` empty means "no --metrics_list"; ``monitoring`` is config.json's section or None.
    """
    cli_names = tuple(cli_list)
    if monitoring is not None:
        if cli_enable or cli_names:
            raise ConfigError(DUPLICATED)
        enabled, names = monitoring.enable, monitoring.metrics_list
    else:
        enabled, names = cli_enable, cli_names
    listed = check_names(names) if names else None
    if not enabled:
        return DISABLED
    if not rest_port:
        raise ConfigError(REST_PORT_MISSING)
    return MetricsConfig(True, DEFAULT_FAMILIES if listed is None else frozenset(listed))
