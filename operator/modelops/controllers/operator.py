"""``modelops operator``: run the kopf operator with every controller registered.

The same process runs in the operator Deployment of a real cluster and under
``modelops local up``; only the kubeconfig it finds differs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from typing import Any

import kopf

from modelops import GROUP
from modelops.controllers import (  # noqa: F401  (importing registers the handlers)
    modeldeployment,
    modelversion,
    trainingrun,
)
from modelops.controllers.context import Context
from modelops.controllers.counters import OperatorMetrics
from modelops.kube.client import Kube
from modelops.settings import Settings


@kopf.on.login()
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """In-cluster service account first, then the kubeconfig (KUBECONFIG or ~/.kube/config)."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, memo: Any, logger: Any, **_: Any) -> None:
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    settings.posting.level = logging.INFO
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.batching.worker_limit = 64
    settings.execution.max_workers = 8
    info = kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(
        settings=settings
    )
    if info is None:
        raise kopf.PermanentError("no Kubernetes credentials: set KUBECONFIG or run in a pod")
    metrics = OperatorMetrics()
    if memo.settings.metrics_port:
        metrics.serve(memo.settings.metrics_port)
    memo.modelops = Context(kube=Kube.connect(info), settings=memo.settings, metrics=metrics)
    logger.info("modelops operator started for %s", info.server)


@kopf.on.cleanup()
async def cleanup(memo: Any, **_: Any) -> None:
    context: Context | None = getattr(memo, "modelops", None)
    if context is not None:
        await context.kube.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--peering",
        default="",
        help="kopf peering name for HA (several replicas, one active); default: standalone",
    )
    parser.add_argument(
        "--liveness",
        default="",
        help="liveness endpoint, e.g. http://0.0.0.0:8081/healthz",
    )


def main(args: argparse.Namespace) -> int:
    settings = Settings.from_env(os.environ)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    namespaces = [settings.namespace] if settings.namespace else []
    asyncio.run(
        kopf.operator(
            clusterwide=not namespaces,
            namespaces=namespaces,
            standalone=not args.peering,
            peering_name=args.peering or None,
            liveness_endpoint=args.liveness or None,
            memo=kopf.Memo(settings=settings),
        )
    )
    return 0
