"""Reading a deployment's drift: from Prometheus, or straight from the serving pods.

With Prometheus the score comes from a PromQL query (generated for the
deployment unless the policy gives one); without it, every ready serving pod's
``/metrics`` is scraped. Either way an empty or NaN result is "no data", never 0.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from modelops.decide.retraining import Reading

#: A pod may publish the host port its server listens on here (the local kubelet does).
PORT_ANNOTATION = "local.modelops.dev/port"
ALARM = 1.0
_TIMEOUT = aiohttp.ClientTimeout(total=5)


def _selector(model: str, version: int) -> str:
    return f'model="{model}",version="{version}"'


def default_query(model: str, version: int) -> str:
    """PromQL for a deployment's overall drift: the worst serving pod's score."""
    return f"max(modelops_drift_overall{{{_selector(model, version)}}})"


class SourceError(Exception):
    """A drift source answered, but not with a usable result; the message names no content."""


def describe(error: BaseException) -> str:
    """What went wrong reading a source, by kind only: never the body or text it sent."""
    if isinstance(error, SourceError):
        return str(error)
    return type(error).__name__


async def _query(session: aiohttp.ClientSession, url: str, promql: str) -> list[dict[str, Any]]:
    # No redirects: the operator asks the URL it was allowed to ask, and nothing else.
    address = f"{url.rstrip('/')}/api/v1/query"
    async with session.get(address, params={"query": promql}, allow_redirects=False) as answer:
        if answer.status != 200:
            raise SourceError(f"HTTP {answer.status}")
        try:
            body = await answer.json(content_type=None)
            ok = isinstance(body, dict) and body.get("status") == "success"
            result: list[dict[str, Any]] = body["data"]["result"] if ok else []
        except (ValueError, KeyError, TypeError):
            raise SourceError("not a Prometheus query answer") from None
    if not ok:
        raise SourceError("Prometheus refused the query")
    return result


def _first_value(result: list[dict[str, Any]]) -> float | None:
    values = [float(item["value"][1]) for item in result]
    finite = [v for v in values if math.isfinite(v)]
    return max(finite) if finite else None


async def from_prometheus(url: str, query: str | None, model: str, version: int) -> Reading:
    """The drift score, rows observed and drifted features as Prometheus has them."""
    where = _selector(model, version)
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        score = _first_value(await _query(session, url, query or default_query(model, version)))
        rows = _first_value(await _query(session, url, f"sum(modelops_drift_rows{{{where}}})"))
        drifted = await _query(
            session, url, f"max by (feature) (modelops_drift_score{{{where}}}) >= {ALARM}"
        )
    features = sorted(str(item["metric"].get("feature")) for item in drifted)
    return Reading(
        score=score,
        rows=int(rows) if rows is not None else None,
        drifted=tuple(features),
        source="prometheus",
    )


def metrics_address(pod: dict[str, Any]) -> str | None:
    """``host:port`` of a ready pod's metrics endpoint, or None."""
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    ip = status.get("podIP")
    if not ready or not ip:
        return None
    port = ((pod.get("metadata") or {}).get("annotations") or {}).get(PORT_ANNOTATION)
    if port is None:
        containers = (pod.get("spec") or {}).get("containers") or []
        ports = [p for c in containers for p in c.get("ports") or []]
        if not ports:
            return None
        port = ports[0]["containerPort"]
    return f"{ip}:{port}"


def parse_scrape(text: str, model: str, version: int) -> tuple[float | None, int, set[str]]:
    """(overall score, rows, drifted features) of one pod's /metrics for that version."""
    overall: float | None = None
    rows = 0
    drifted: set[str] = set()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if labels.get("model") != model or labels.get("version") != str(version):
                continue
            if sample.name == "modelops_drift_overall" and math.isfinite(sample.value):
                overall = sample.value
            elif sample.name == "modelops_drift_rows":
                rows = int(sample.value)
            elif sample.name == "modelops_drift_score" and sample.value >= ALARM:
                drifted.add(labels.get("feature", ""))
    return overall, rows, drifted


async def from_pods(pods: Iterable[dict[str, Any]], model: str, version: int) -> Reading:
    """The worst score, total rows and union of drifted features over the ready pods."""
    addresses = [a for a in (metrics_address(p) for p in pods) if a]

    async def scrape(session: aiohttp.ClientSession, address: str) -> str | None:
        try:
            async with session.get(f"http://{address}/metrics") as answer:
                return await answer.text() if answer.status == 200 else None
        except (aiohttp.ClientError, TimeoutError):
            return None

    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        texts = await asyncio.gather(*(scrape(session, a) for a in addresses))
    scores: list[float] = []
    rows = 0
    drifted: set[str] = set()
    for text in texts:
        if text is None:
            continue
        score, pod_rows, pod_drifted = parse_scrape(text, model, version)
        if score is not None:
            scores.append(score)
        rows += pod_rows
        drifted |= pod_drifted
    return Reading(
        score=max(scores) if scores else None,
        rows=rows if scores else None,
        drifted=tuple(sorted(drifted)),
        source="scrape",
    )
