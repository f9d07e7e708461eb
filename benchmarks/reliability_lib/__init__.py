"""Helpers of ``benchmarks/reliability.py`` and ``tests/reliability``: a local cluster under
faults, the scenarios run against it, and the abuse and load drivers of the inference server.

Modules: ``cluster`` (the API server and kubelet process), ``client`` (a retrying REST
client and a status recorder), ``harness`` (a whole cluster with a killable operator),
``operator_scenarios``, ``serve_abuse`` and ``load``.
"""
