"""The ``modelops`` command line: one subcommand per thing the package can run.

Each subcommand lives in the module that owns it. That module exposes
``add_arguments(parser)`` and ``main(args) -> int`` and keeps heavy imports
(scikit-learn, onnxruntime, kopf) inside ``main`` so that ``modelops --help``
stays fast. A subcommand appears here only once its module exists.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from modelops import __version__


class _Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def main(self, args: argparse.Namespace) -> int: ...


#: name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "operator": ("modelops.controllers.operator", "run the operator (kopf) against a cluster"),
    "local": ("modelops.local.up", "run the embedded local cluster with the operator"),
    "demo": ("modelops.demo.scenario", "run the whole loop on a local cluster and report it"),
    "train": ("modelops.runtime.train.command", "train a model (runs in the trainer pod)"),
    "scan": ("modelops.runtime.scan.command", "scan and validate a model (runs in the scan pod)"),
    "serve": ("modelops.runtime.serve.command", "serve a model over V2 (runs in serving pods)"),
    "crds": ("modelops.api.crds", "write (or --check) the CRDs generated from the API models"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or with ``only``, of that one (the others listed).

    Importing a subcommand's module can be costly (``demo`` pulls in numpy and pyarrow),
    and a long-running process such as the operator keeps all it imported in memory.
    """
    parser = argparse.ArgumentParser(
        prog="modelops",
        description="A Kubernetes-native MLOps operator: train, scan, serve, retrain.",
    )
    parser.add_argument("--version", action="version", version=f"modelops {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if only is not None and name != only:
            continue
        module = cast(_Command, importlib.import_module(module_name))
        module.add_arguments(sub)
        sub.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in arguments if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(arguments)
    module = cast(_Command, args._module)
    return module.main(args)
