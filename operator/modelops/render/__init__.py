"""Pure renderers: a spec and settings in, Kubernetes object dicts out.

No I/O, no clock, no environment: the same inputs always give the same objects,
so re-running a handler can never make a different child.
"""
