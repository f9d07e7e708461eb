"""The modelops Grafana dashboard, as code, with the Grafana Foundation SDK.

``python -m tools.dashboard`` writes ``manifests/components/monitoring/modelops-dashboard.json``
(``--check`` fails when the checked-in file is out of date). The monitoring component turns
that file into a ConfigMap with the ``grafana_dashboard: "1"`` label, which Grafana's
dashboard sidecar loads. Every query names only metrics the operator and the serving pods
export; tests/install/test_monitoring.py checks that and runs each one against Prometheus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    VariableRefresh,
)

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "manifests" / "components" / "monitoring" / "modelops-dashboard.json"
UID = "modelops-overview"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
#: Serving series of the selected namespaces and models.
SERVING = 'namespace=~"$namespace", model=~"$model"'


def _query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref)


def _series(
    title: str, unit: str, targets: list[prometheus.Dataquery], description: str
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .height(8)
        .span(12)
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def _stat(title: str, unit: str, target: prometheus.Dataquery, description: str) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .height(4)
        .span(6)
        .with_target(target)
    )


def _variable(name: str, label: str, query: str) -> dash.QueryVariable:
    return (
        dash.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def build() -> dash.Dashboard:
    """The dashboard: traffic, latency, errors, drift, served versions and retraining."""
    rate = "[$__rate_interval]"
    return (
        dash.Dashboard("modelops")
        .uid(UID)
        .description("Serving traffic, latency, errors and drift of modelops ModelDeployments.")
        .tags(["modelops", "mlops"])
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(
            dash.DatasourceVariable("datasource").label("Data source").type("prometheus")
        )
        .with_variable(
            _variable("namespace", "Namespace", "label_values(modelops_model_ready, namespace)")
        )
        .with_variable(
            _variable(
                "model",
                "Model",
                'label_values(modelops_model_ready{namespace=~"$namespace"}, model)',
            )
        )
        .annotation(
            dash.AnnotationQuery()
            .name("Retraining started")
            .datasource(DATASOURCE)
            .expr("changes(modelops_retraining_triggers_total[2m]) > 0")
            .icon_color("orange")
            .enable(True)
        )
        .with_row(dash.Row("Serving"))
        .with_panel(
            _stat(
                "Ready models",
                "none",
                _query(f"sum(modelops_model_ready{{{SERVING}}})", "ready"),
                "Serving pods whose model is loaded and ready.",
            )
        )
        .with_panel(
            _stat(
                "Requests per second",
                "reqps",
                _query(f"sum(rate(modelops_requests_total{{{SERVING}}}{rate}))", "req/s"),
                "Infer requests over all selected models.",
            )
        )
        .with_panel(
            _stat(
                "Error ratio",
                "percentunit",
                _query(
                    f'sum(rate(modelops_requests_total{{{SERVING}, code=~"5.."}}{rate})) '
                    f"/ sum(rate(modelops_requests_total{{{SERVING}}}{rate}))",
                    "5xx",
                ),
                "Share of infer requests answered with a 5xx status.",
            )
        )
        .with_panel(
            _stat(
                "Drifted features",
                "none",
                _query(f"max(modelops_drift_drifted_features{{{SERVING}}})", "features"),
                "Most features drifted in any serving pod.",
            )
        )
        .with_panel(
            _series(
                "Traffic",
                "reqps",
                [
                    _query(
                        f"sum by (namespace, model, version) "
                        f"(rate(modelops_requests_total{{{SERVING}}}{rate}))",
                        "{{model}} v{{version}}",
                    ),
                    _query(
                        f"sum by (namespace, model) (rate(modelops_rows_total{{{SERVING}}}{rate}))",
                        "{{model}} rows/s",
                        "B",
                    ),
                ],
                "Infer requests and rows per second, by model and version.",
            )
        )
        .with_panel(
            _series(
                "Latency",
                "s",
                [
                    _query(
                        f"histogram_quantile({q}, sum by (le, model, version) "
                        f"(rate(modelops_request_duration_seconds_bucket{{{SERVING}}}{rate})))",
                        f"p{int(q * 100)} {{{{model}}}} v{{{{version}}}}",
                        ref,
                    )
                    for q, ref in ((0.5, "A"), (0.95, "B"), (0.99, "C"))
                ],
                "Infer latency quantiles, body read to response.",
            )
        )
        .with_panel(
            _series(
                "Errors",
                "reqps",
                [
                    _query(
                        f"sum by (model, version, code) (rate(modelops_requests_total{{{SERVING}, "
                        f'code!~"2.."}}{rate}))',
                        "{{model}} v{{version}} {{code}}",
                    )
                ],
                "Infer requests answered with a 4xx or 5xx status, by code.",
            )
        )
        .with_panel(
            _series(
                "Batch size",
                "none",
                [
                    _query(
                        f"histogram_quantile(0.95, sum by (le, model) "
                        f"(rate(modelops_batch_size_bucket{{{SERVING}}}{rate})))",
                        "p95 {{model}}",
                    )
                ],
                "Rows per infer request (95th percentile).",
            )
        )
        .with_row(dash.Row("Drift"))
        .with_panel(
            _series(
                "Drift score per feature",
                "none",
                [
                    _query(
                        f"max by (model, version, feature) (modelops_drift_score{{{SERVING}}})",
                        "{{model}} v{{version}} {{feature}}",
                    )
                ],
                "Drift of each feature against the training reference; 1 is the alarm level.",
            )
        )
        .with_panel(
            _series(
                "Overall drift",
                "none",
                [
                    _query(
                        f"max by (model, version) (modelops_drift_overall{{{SERVING}}})",
                        "{{model}} v{{version}}",
                    ),
                    _query(
                        f"max by (model, version) (modelops_drift_rows{{{SERVING}}})",
                        "rows in window {{model}} v{{version}}",
                        "B",
                    ),
                ],
                "The deployment's drift score (retraining policies act on it) and its window.",
            )
        )
        .with_row(dash.Row("Versions and retraining"))
        .with_panel(
            _series(
                "Served version",
                "none",
                [
                    _query(
                        "max by (namespace, deployment, model) (modelops_deployment_served_version"
                        '{namespace=~"$namespace", model=~"$model"})',
                        "{{namespace}}/{{deployment}}",
                    )
                ],
                "The ModelVersion number each ModelDeployment serves, over time.",
            )
        )
        .with_panel(
            _series(
                "Ready replicas",
                "none",
                [
                    _query(
                        "max by (namespace, deployment) (modelops_deployment_ready_replicas"
                        '{namespace=~"$namespace", model=~"$model"})',
                        "{{namespace}}/{{deployment}}",
                    )
                ],
                "Ready serving pods per ModelDeployment, as the operator reports them.",
            )
        )
        .with_panel(
            _series(
                "Retraining",
                "none",
                [
                    _query(
                        "sum(increase(modelops_retraining_triggers_total[$__range]))",
                        "started",
                    ),
                    _query(
                        "sum by (outcome) (increase(modelops_retraining_outcomes_total[$__range]))",
                        "{{outcome}}",
                        "B",
                    ),
                ],
                "Retraining runs started by drift or by request, and how they ended.",
            )
        )
        .with_panel(
            _series(
                "Training and scans",
                "none",
                [
                    _query(
                        "sum by (outcome) (increase(modelops_training_runs_total[$__range]))",
                        "training {{outcome}}",
                    ),
                    _query(
                        "sum by (outcome) (increase(modelops_scans_total[$__range]))",
                        "scan {{outcome}}",
                        "B",
                    ),
                    _query(
                        "histogram_quantile(0.5, sum by (le) "
                        "(rate(modelops_training_duration_seconds_bucket[$__range])))",
                        "median training seconds",
                        "C",
                    ),
                ],
                "TrainingRuns and scans that ended, by outcome.",
            )
        )
        .with_panel(
            _series(
                "Operator reconciles",
                "ops",
                [
                    _query(
                        f"sum by (kind, outcome) (rate(modelops_reconcile_total{rate}))",
                        "{{kind}} {{outcome}}",
                    ),
                    _query(
                        "histogram_quantile(0.95, sum by (le, kind) "
                        f"(rate(modelops_reconcile_duration_seconds_bucket{rate})))",
                        "p95 {{kind}}",
                        "B",
                    ),
                ],
                "Reconciles per second by kind and outcome, and their 95th percentile duration.",
            )
        )
    )


def render() -> str:
    """The dashboard JSON, as checked in (sorted keys, two-space indent, final newline)."""
    model = build().build()
    encoded = json.loads(json.dumps(model, cls=JSONEncoder))
    return json.dumps(encoded, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python -m tools.dashboard")
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
