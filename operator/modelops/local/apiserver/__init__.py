"""An embedded Kubernetes API server for the local cluster and tests.

It speaks the REST subset kopf, kubectl 1.32, the `kubernetes` client and the operator
use (discovery, CRUD, watch, patches, subresources, finalizers, garbage collection,
tables, OpenAPI, CRD validation) over objects persisted in SQLite:

    server = await ApiServer.start(state_dir)
    write_kubeconfig(state_dir / "kubeconfig", server.url)
    ...
    await server.stop()

Layers, top down: `server` (app, middleware, audit, faults) -> `handlers` (HTTP) ->
`objects` (Kubernetes semantics) -> `store` (SQLite) and `watch` (event log); beside them
the pure helpers `kinds`, `routing`, `selectors`, `patch`, `validation`, `tables`,
`openapi` and `discovery`.
"""

from .audit import AuditRecord
from .faults import FaultConfig
from .kubeconfig import write_kubeconfig
from .server import ApiServer

__all__ = ["ApiServer", "AuditRecord", "FaultConfig", "write_kubeconfig"]
