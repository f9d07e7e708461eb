"""The API of modelops: pydantic models of the custom resources' specs and statuses.

These models are the single source of truth: the CRDs in ``crds/`` are generated
from them (``modelops crds``), and the controllers parse CRs with them.
"""
