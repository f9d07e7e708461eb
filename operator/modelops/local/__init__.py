"""The embedded local cluster: an in-process Kubernetes API server and a local kubelet.

It stands in for a real cluster (as SQLite stands in for a database server): the
same operator runs against it unchanged. It imports no controller internals.
"""
