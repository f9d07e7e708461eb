"""A small REST client of the local API that rides out injected faults, and a status recorder.

The harness is a user of a faulty API like any other: its calls are retried on 429, 5xx
and 409 Conflict (never on AlreadyExists, which is an answer), and the recorder lists and
watches again whenever its watch is dropped or expires, so it sees every status the
operator writes that the API still holds.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

USER_AGENT = "modelops-reliability"
GROUP_VERSION = "modelops.dev/v1alpha1"
_RETRIED = (409, 429, 500, 502, 503, 504)

Obj = dict[str, Any]

PLURALS = {
    "TrainingRun": (GROUP_VERSION, "trainingruns"),
    "ModelVersion": (GROUP_VERSION, "modelversions"),
    "ModelDeployment": (GROUP_VERSION, "modeldeployments"),
    "Job": ("batch/v1", "jobs"),
    "Deployment": ("apps/v1", "deployments"),
    "Pod": ("v1", "pods"),
    "Service": ("v1", "services"),
    "NetworkPolicy": ("networking.k8s.io/v1", "networkpolicies"),
    "Secret": ("v1", "secrets"),
    "Event": ("v1", "events"),
}


class ApiError(Exception):
    """A final (not retried) error answer; ``body`` is the decoded Status when there is one."""

    def __init__(self, code: int, body: Any) -> None:
        super().__init__(f"{code}: {body}")
        self.code = code
        self.body = body

    @property
    def reason(self) -> str:
        return str(self.body.get("reason", "")) if isinstance(self.body, dict) else ""


def path(kind: str, namespace: str | None = "default", name: str | None = None) -> str:
    group_version, plural = PLURALS[kind]
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    where = f"{prefix}/namespaces/{namespace}/{plural}" if namespace else f"{prefix}/{plural}"
    return f"{where}/{name}" if name else where


class Api:
    """Sync calls to one API server, retried through injected faults."""

    def __init__(self, url: str, attempts: int = 60) -> None:
        self.url = url.rstrip("/")
        self.attempts = attempts
        self.faults_seen = 0

    def call(
        self,
        method: str,
        where: str,
        body: Any = None,
        *,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/json",
        retry: bool = True,
    ) -> Any:
        url = self.url + where + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        for attempt in range(self.attempts):
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    return json.loads(answer.read() or b"{}")
            except urllib.error.HTTPError as error:
                raw = error.read()
                try:
                    decoded: Any = json.loads(raw)
                except ValueError:
                    decoded = raw.decode(errors="replace")
                already = isinstance(decoded, dict) and decoded.get("reason") == "AlreadyExists"
                if retry and error.code in _RETRIED and not already and attempt + 1 < self.attempts:
                    self.faults_seen += 1
                    time.sleep(0.05 if error.code != 429 else 0.5)
                    continue
                raise ApiError(error.code, decoded) from None
        raise AssertionError("unreachable")

    def create(self, obj: Obj, *, retry: bool = True) -> Obj:
        namespace = obj["metadata"].get("namespace", "default")
        created: Obj = self.call("POST", path(obj["kind"], namespace), obj, retry=retry)
        return created

    def get(self, kind: str, name: str, namespace: str = "default") -> Obj | None:
        try:
            found: Obj = self.call("GET", path(kind, namespace, name))
        except ApiError as error:
            if error.code == 404:
                return None
            raise
        return found

    def list(self, kind: str, namespace: str | None = None, labels: str = "") -> list[Obj]:
        query = {"labelSelector": labels} if labels else None
        listing = self.call("GET", path(kind, namespace), query=query)
        items: list[Obj] = listing.get("items") or []
        return items

    def merge_patch(self, kind: str, name: str, patch: Obj, namespace: str = "default") -> Obj:
        patched: Obj = self.call(
            "PATCH",
            path(kind, namespace, name),
            patch,
            content_type="application/merge-patch+json",
        )
        return patched

    def watch(self, kind: str, resource_version: str, timeout: int = 60) -> Iterator[Obj]:
        """Watch events after ``resource_version`` until the stream ends or breaks.

        Raises ApiError for an error answer or an ERROR event (410: list again).
        """
        query = {
            "watch": "true",
            "resourceVersion": resource_version,
            "timeoutSeconds": str(timeout),
            "allowWatchBookmarks": "true",
        }
        url = f"{self.url}{path(kind, None)}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            answer = urllib.request.urlopen(request, timeout=timeout + 30)
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode(errors="replace")) from None
        with answer:
            for line in answer:
                if not line.strip():
                    continue
                event: Obj = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    raise ApiError(int(status.get("code") or 500), status)
                yield event


#: Phases in the order they may be reached; a later rank never goes back to an earlier one.
PHASE_RANK = {
    "TrainingRun": {"Pending": 0, "Suspended": 0, "Running": 1, "Succeeded": 2, "Failed": 2},
    "ModelVersion": {"Pending": 0, "Validating": 1, "Validated": 2, "Rejected": 2},
}


@dataclass
class Recorder:
    """Records every status of the given kinds it observes, via list and watch, in threads.

    ``regressions()`` then names every object whose status went backwards: a phase of a
    lower rank after a higher one, a terminal phase changing, or a once-set result (the
    registered ModelVersion, a scan verdict) changing or vanishing.
    """

    api: Api
    kinds: tuple[str, ...] = ("TrainingRun", "ModelVersion", "ModelDeployment")
    history: dict[tuple[str, str], list[Obj]] = field(default_factory=dict)
    relists: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Recorder:
        for kind in self.kinds:
            thread = threading.Thread(target=self._follow, args=(kind,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()

    def _note(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        status = obj.get("status") or {}
        key = (kind, f"{meta.get('namespace')}/{meta.get('name')}")
        with self._lock:
            seen = self.history.setdefault(key, [])
            if not seen or seen[-1] != status:
                seen.append(status)

    def _follow(self, kind: str) -> None:
        while not self._stop.is_set():
            try:
                listing = self.api.call("GET", path(kind, None))
                self.relists += 1
                for item in listing.get("items") or []:
                    self._note(kind, item)
                version = str(listing["metadata"]["resourceVersion"])
                while not self._stop.is_set():
                    for event in self.api.watch(kind, version, timeout=20):
                        obj = event.get("object") or {}
                        version = str((obj.get("metadata") or {}).get("resourceVersion", version))
                        if event.get("type") in ("ADDED", "MODIFIED"):
                            self._note(kind, obj)
                        if self._stop.is_set():
                            return
            except (ApiError, OSError, ValueError):
                time.sleep(0.2)

    def regressions(self) -> list[str]:
        found = []
        with self._lock:
            items = list(self.history.items())
        for (kind, name), statuses in items:
            problem = _regression(kind, statuses)
            if problem:
                found.append(f"{kind} {name}: {problem}")
        return found


def _regression(kind: str, statuses: list[Obj]) -> str | None:
    ranks = PHASE_RANK.get(kind, {})
    best: tuple[int, str] | None = None
    once: dict[str, Any] = {}
    sticky = {
        "TrainingRun": ("modelVersion", "completionTime", "artifactUri"),
        "ModelVersion": (),
        "ModelDeployment": (),
    }.get(kind, ())
    for index, status in enumerate(statuses):
        phase = status.get("phase")
        if phase in ranks:
            rank = ranks[phase]
            if best is not None and (rank < best[0] or (best[0] == 2 and phase != best[1])):
                return f"phase {best[1]} became {phase} (status #{index})"
            if best is None or rank >= best[0]:
                best = (rank, phase)
        elif best is not None and kind in PHASE_RANK:
            return f"phase {best[1]} was lost (status #{index}: {status})"
        for key in sticky:
            if key in once and status.get(key) != once[key]:
                return f"{key} {once[key]!r} became {status.get(key)!r} (status #{index})"
            if status.get(key) is not None:
                once[key] = status[key]
    return None
