"""``dist/install.yaml``: one file that installs modelops, built with ``kubectl kustomize``.

``python -m tools.manifests`` builds ``manifests/overlays/prod`` (CRDs, RBAC, the operator
with two peered replicas, the monitoring objects) into ``dist/install.yaml``. It generates
nothing itself: the dashboard and the argocd-cm patch are checked in and kept current by
``tools.dashboard`` and ``tools.argocd_cm``. ``--overlay`` picks another kustomization,
``--output`` another file.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OVERLAY = ROOT / "manifests" / "overlays" / "prod"
DEFAULT_OUTPUT = ROOT / "dist" / "install.yaml"


def kustomize(directory: Path) -> str:
    """The YAML ``kubectl kustomize`` builds from ``directory``; raises with its stderr."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl (1.27 or later, with kustomize) is not on PATH")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return result.stdout


def build(overlay: Path) -> str:
    """The install file's text: a header naming its source, then the built objects."""
    source = overlay.resolve().relative_to(ROOT)
    header = (
        f"# modelops: everything in one file, built from {source} with `kubectl kustomize`.\n"
        "# Install: kubectl apply --server-side -f install.yaml\n"
        "# The monitoring objects need the Prometheus Operator's CRDs (monitoring.coreos.com).\n"
    )
    return header + kustomize(overlay)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overlay", type=Path, default=DEFAULT_OVERLAY)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        text = build(args.overlay)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
