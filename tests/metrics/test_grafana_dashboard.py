"""docker/grafana_dashboard.json: valid dashboard JSON whose queries use this daemon's families."""

import json
import re
from pathlib import Path

import pytest

from ovms.metrics import families as f

DASHBOARD = Path(__file__).resolve().parents[2] / "docker" / "grafana_dashboard.json"
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$model": ".*", "$version": ".*"}


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def expressions(dashboard: dict) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_structure(dashboard):
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    boxes = []
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24
        for other in boxes:
            overlap_x = g["x"] < other["x"] + other["w"] and other["x"] < g["x"] + g["w"]
            overlap_y = g["y"] < other["y"] + other["h"] and other["y"] < g["y"] + g["h"]
            assert not (overlap_x and overlap_y), (panel["title"], other)
        boxes.append(g)
        if panel["type"] != "row":
            assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}"
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"datasource", "model", "version"}


def test_queries_use_existing_families_with_the_right_suffixes(dashboard):
    used: set[str] = set()
    for expr in expressions(dashboard):
        assert "_total" not in expr  # OVMS's counters are exposed without it
        for name in re.findall(r"\bovms_[a-z_]+", expr):
            if name in f.BY_NAME:
                assert f.BY_NAME[name].kind != "histogram", expr
                used.add(name)
            else:
                base = next(name[: -len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s))
                assert f.BY_NAME[base].kind == "histogram", expr
                used.add(base)
    assert used == f.ALL_FAMILIES


def test_queries_are_valid_promql(dashboard):
    parser = pytest.importorskip("promql_parser")
    for expr in expressions(dashboard):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        parser.parse(expr)
