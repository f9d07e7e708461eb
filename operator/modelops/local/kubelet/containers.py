"""What a pod's container becomes as a local process, decided purely.

Given the pod, the ConfigMaps and Secrets it references (already read), the host
directories of its volumes and its assigned port, this builds the argv, environment and
working directory of the process:

- ``env`` literals, ``$(VAR)`` references, ``valueFrom`` (secretKeyRef, configMapKeyRef,
  fieldRef) and ``envFrom`` resolve as the kubelet resolves them;
- every ``volumeMount.mountPath``, and the ``terminationMessagePath``, is rewritten to its
  host directory wherever it appears as a path in command, args, env values or workingDir;
- ``MODELOPS_PORT`` and ``MODELOPS_TERMINATION_MESSAGE_PATH`` are added (see the package
  docstring);
- a volume mounted at a system temporary directory (``/tmp``, ``/var/tmp``) is not
  rewritten: host paths under it (state dirs, test dirs) must keep their meaning, so the
  volume becomes the process's ``TMPDIR`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from modelops.local.kubelet import objects
from modelops.local.kubelet.objects import Obj

PORT_ENV = "MODELOPS_PORT"
TERMINATION_ENV = "MODELOPS_TERMINATION_MESSAGE_PATH"
DEFAULT_TERMINATION_PATH = "/dev/termination-log"
#: Mount paths shared with the host's own files; their volume becomes TMPDIR instead.
TEMP_MOUNTS = ("/tmp", "/var/tmp")
TMPDIR_KEY = "TMPDIR"
#: Host variables a process needs to run at all; nothing else of the kubelet's leaks in.
HOST_ENV = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH")


class ConfigError(Exception):
    """The container cannot start yet: a referenced ConfigMap, Secret or key is missing."""


@dataclass(frozen=True)
class Sources:
    """Data of the ConfigMaps and Secrets the pod references; absent names do not exist."""

    config_maps: Mapping[str, Mapping[str, str]]
    secrets: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class LaunchPlan:
    argv: tuple[str, ...]
    env: dict[str, str]
    working_dir: str | None


def referenced(pod: Obj) -> tuple[set[str], set[str]]:
    """Names of the ConfigMaps and Secrets the pod's container and volumes read."""
    container = objects.main_container(pod)
    config_maps: set[str] = set()
    secrets: set[str] = set()
    for var in container.get("env") or []:
        source = var.get("valueFrom") or {}
        if "configMapKeyRef" in source:
            config_maps.add(source["configMapKeyRef"].get("name", ""))
        if "secretKeyRef" in source:
            secrets.add(source["secretKeyRef"].get("name", ""))
    for env_from in container.get("envFrom") or []:
        if "configMapRef" in env_from:
            config_maps.add(env_from["configMapRef"].get("name", ""))
        if "secretRef" in env_from:
            secrets.add(env_from["secretRef"].get("name", ""))
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        if "configMap" in volume:
            config_maps.add(volume["configMap"].get("name", ""))
        if "secret" in volume:
            secrets.add(volume["secret"].get("secretName", ""))
    return config_maps, secrets


def path_map(pod: Obj, volume_dirs: Mapping[str, Path], termination_file: Path) -> dict[str, str]:
    """Container path -> host path, for the mounts and the termination message file."""
    container = objects.main_container(pod)
    mapping = {
        container.get("terminationMessagePath") or DEFAULT_TERMINATION_PATH: str(termination_file)
    }
    for mount in container.get("volumeMounts") or []:
        host = volume_dirs.get(mount.get("name", ""))
        if host is not None and mount.get("mountPath"):
            sub = mount.get("subPath") or ""
            path = mount["mountPath"].rstrip("/") or "/"
            key = TMPDIR_KEY if path in TEMP_MOUNTS else path
            mapping.setdefault(key, str(host / sub if sub else host))
    return mapping


def rewrite_paths(value: str, mapping: Mapping[str, str]) -> str:
    """Replace each container path in ``value`` by its host path (longest first).

    A path matches only as a whole path: at the start or after a non-path character
    (``=``, ``:``, a space, or the ``//`` of ``file://``), and followed by ``/`` or its end.
    """
    mapping = {k: v for k, v in mapping.items() if k.startswith("/")}
    if not mapping:
        return value
    alternatives = "|".join(re.escape(p) for p in sorted(mapping, key=len, reverse=True))
    pattern = rf"(?<![\w.\-])({alternatives})(?=/|$|[^\w.\-/])"
    return re.sub(pattern, lambda m: mapping[m.group(1)], value)


def expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes ``$(VAR)`` expansion: defined names expand, ``$$`` escapes, others stay."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)", replace, value)


def container_env(
    pod: Obj,
    sources: Sources,
    host_env: Mapping[str, str],
    port: int | None,
    paths: Mapping[str, str],
) -> dict[str, str]:
    container = objects.main_container(pod)
    env: dict[str, str] = {k: host_env[k] for k in HOST_ENV if k in host_env}
    env.update(HOSTNAME=objects.name(pod), PYTHONUNBUFFERED="1")
    for env_from in container.get("envFrom") or []:
        prefix = env_from.get("prefix") or ""
        for ref_kind, data in (
            ("configMapRef", sources.config_maps),
            ("secretRef", sources.secrets),
        ):
            ref = env_from.get(ref_kind)
            if ref is None:
                continue
            values = data.get(ref.get("name", ""))
            if values is None:
                if not ref.get("optional"):
                    raise ConfigError(f"{_kind(ref_kind)} {ref.get('name')!r} not found")
                continue
            env.update({prefix + k: v for k, v in values.items()})
    for var in container.get("env") or []:
        value = _env_value(pod, var, sources, env)
        if value is not None:
            env[var["name"]] = rewrite_paths(value, paths)
    if port is not None:
        env[PORT_ENV] = str(port)
    if TMPDIR_KEY in paths:
        env[TMPDIR_KEY] = paths[TMPDIR_KEY]
    termination = container.get("terminationMessagePath") or DEFAULT_TERMINATION_PATH
    env[TERMINATION_ENV] = paths[termination]
    return env


def launch_plan(pod: Obj, env: dict[str, str], paths: Mapping[str, str]) -> LaunchPlan:
    """argv and working directory; ConfigError if the container has no command to run."""
    container = objects.main_container(pod)
    argv = [*(container.get("command") or []), *(container.get("args") or [])]
    if not container.get("command"):
        raise ConfigError(
            "the container sets no command; images are not pulled locally, so the "
            "command must name what to run (for example: modelops serve)"
        )
    argv = [rewrite_paths(expand(a, env), paths) for a in argv]
    working_dir = container.get("workingDir")
    return LaunchPlan(
        argv=tuple(argv),
        env=env,
        working_dir=rewrite_paths(working_dir, paths) if working_dir else None,
    )


def _kind(ref_kind: str) -> str:
    return "configmap" if ref_kind.startswith("configMap") else "secret"


def _env_value(pod: Obj, var: Obj, sources: Sources, env: Mapping[str, str]) -> str | None:
    if "value" in var:
        return expand(str(var["value"]), env)
    source = var.get("valueFrom") or {}
    for ref_kind, data in (
        ("configMapKeyRef", sources.config_maps),
        ("secretKeyRef", sources.secrets),
    ):
        ref = source.get(ref_kind)
        if ref is None:
            continue
        values = data.get(ref.get("name", ""))
        if values is None or ref.get("key") not in values:
            if ref.get("optional"):
                return None
            what = f"{_kind(ref_kind)} {ref.get('name')!r}"
            if values is None:
                raise ConfigError(f"{what} not found")
            raise ConfigError(f"couldn't find key {ref.get('key')} in {what}")
        return values[ref["key"]]
    if "fieldRef" in source:
        return field_value(pod, str(source["fieldRef"].get("fieldPath", "")))
    return None if "resourceFieldRef" in source else ""


def field_value(pod: Obj, field_path: str) -> str:
    """The downward API's ``fieldRef`` paths, as far as a local pod has them."""
    meta = objects.meta(pod)
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", field_path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": objects.NODE_NAME,
        "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName", "default"),
        "status.podIP": objects.LOOPBACK,
        "status.podIPs": objects.LOOPBACK,
        "status.hostIP": objects.LOOPBACK,
        "status.hostIPs": objects.LOOPBACK,
    }
    return str(simple.get(field_path) or "")
