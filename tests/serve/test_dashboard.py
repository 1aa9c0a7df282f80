"""The Grafana dashboard shipped for serve reads only metrics that serve exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from engine.serve.metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "tgflow-serve.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}


def exported() -> set[str]:
    names = set()
    for family in Metrics().registry.collect():
        names.update(family.name + s for s in SUFFIXES.get(family.type, ("",)))
    return names


def test_every_panel_queries_metrics_that_serve_exports() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"\btgflow_[a-z_]+", target["expr"])}
    assert queried, "the dashboard queries nothing"
    assert queried <= exported(), f"not exported: {sorted(queried - exported())}"
    families = {f.name for f in Metrics().registry.collect()}
    assert {name.removesuffix("_total").removesuffix("_bucket") for name in queried} == families
