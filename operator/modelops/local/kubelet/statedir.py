"""Where a pod's files live on the host, under the kubelet's state directory.

::

    <state>/logs/<namespace>_<pod>.log          stdout+stderr of every run of the container
    <state>/pods/<namespace>_<pod>_<uid8>/      per-pod directory, removed with the pod
        work/                                   working directory unless workingDir exists
        termination-log                         the remapped terminationMessagePath
        volumes/<volume>/                       emptyDir, configMap and secret volumes
    <state>/volumes/<namespace>/<claim>/        persistentVolumeClaim volumes (outlive pods)

hostPath volumes map to the host path itself (this is the host). Volume kinds without a
local meaning (projected, downwardAPI, csi, ...) get an empty per-pod directory.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from modelops.local.kubelet import objects
from modelops.local.kubelet.containers import Sources
from modelops.local.kubelet.objects import Obj


@dataclass(frozen=True)
class StateDir:
    root: Path

    @classmethod
    def create(cls, root: Path) -> StateDir:
        root.mkdir(parents=True, exist_ok=True)
        return cls(root)

    def log_path(self, pod: Obj) -> Path:
        return self.log_file(objects.namespace(pod), objects.name(pod))

    def log_file(self, namespace: str, pod_name: str) -> Path:
        return self.root / "logs" / f"{namespace}_{pod_name}.log"

    def pod_dir(self, pod: Obj) -> Path:
        suffix = objects.uid(pod)[:8]
        return self.root / "pods" / f"{objects.namespace(pod)}_{objects.name(pod)}_{suffix}"

    def termination_file(self, pod: Obj) -> Path:
        return self.pod_dir(pod) / "termination-log"

    def work_dir(self, pod: Obj) -> Path:
        return self.pod_dir(pod) / "work"

    def working_dir(self, pod: Obj, requested: str | None) -> Path:
        """``requested`` (the container's workingDir) if it exists here, else the pod's own."""
        if requested and Path(requested).is_dir():
            return Path(requested)
        return self.work_dir(pod)

    def volume_dirs(self, pod: Obj) -> dict[str, Path]:
        """Host directory of each of the pod's volumes."""
        dirs: dict[str, Path] = {}
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            name = volume.get("name", "")
            if "hostPath" in volume:
                dirs[name] = Path(volume["hostPath"].get("path", "/"))
            elif "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"].get("claimName", name)
                dirs[name] = self.root / "volumes" / objects.namespace(pod) / claim
            else:
                dirs[name] = self.pod_dir(pod) / "volumes" / name
        return dirs

    def prepare(self, pod: Obj, sources: Sources) -> None:
        """Create the pod's directories and write its configMap and secret volumes."""
        self.work_dir(pod).mkdir(parents=True, exist_ok=True)
        self.termination_file(pod).write_bytes(b"")
        dirs = self.volume_dirs(pod)
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            target = dirs[volume.get("name", "")]
            host_path = volume.get("hostPath")
            if host_path is not None and host_path.get("type") not in (
                None,
                "",
                "DirectoryOrCreate",
            ):
                continue
            target.mkdir(parents=True, exist_ok=True)
            if "configMap" in volume:
                data = sources.config_maps.get(volume["configMap"].get("name", ""), {})
                _write_files(target, data, volume["configMap"].get("items"))
            elif "secret" in volume:
                data = sources.secrets.get(volume["secret"].get("secretName", ""), {})
                _write_files(target, data, volume["secret"].get("items"))

    def remove(self, pod: Obj) -> None:
        shutil.rmtree(self.pod_dir(pod), ignore_errors=True)


def _write_files(target: Path, data: Mapping[str, str], items: list[Obj] | None) -> None:
    chosen = {str(i["key"]): str(i.get("path") or i["key"]) for i in items or []} or {
        k: k for k in data
    }
    for key, relative in chosen.items():
        if key in data:
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data[key])


def secret_data(secret: Obj) -> dict[str, str]:
    """A Secret's values as text: ``data`` is base64, ``stringData`` (if kept) is plain."""
    values = {k: str(v) for k, v in (secret.get("stringData") or {}).items()}
    for k, v in (secret.get("data") or {}).items():
        values[k] = base64.b64decode(v).decode(errors="replace")
    return values
