"""Reading the /metrics text back with prometheus-client's own parser (shared by unit and e2e tests)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, frozenset[tuple[str, str]]]


def parse(text: str) -> dict[str, object]:
    """Family name -> prometheus-client Metric, as the parser reports them."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(text: str) -> dict[Key, float]:
    """(sample name, labels) -> value for every sample of ``text``."""
    out: dict[Key, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def key(sample: str, /, **labels: str) -> Key:
    """The key of one sample, e.g. ``key("ovms_streams", name="m", version="1")``."""
    return (sample, frozenset(labels.items()))
