"""How much of the machine a run may use: its CPU limit, and the estimator threads under it.

The operator puts the container's ``limits.cpu`` into ``MODELOPS_CPU_LIMIT`` through the
downward API (``resourceFieldRef``). Kubernetes renders it in whole cores rounded up
(``"2"``) or, with a divisor of ``1m``, in millicores (``"1500m"``); both are read here,
rounded up to whole cores. Where the variable is absent or unreadable (a trainer started
by hand, an operator that does not set it) the run gets ``DEFAULT_CPUS``: a library that
starts a thread per core of the node (XGBoost, LightGBM, OpenMP and BLAS do) would
otherwise take every core of a node it shares.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

CPU_LIMIT_VARIABLE = "MODELOPS_CPU_LIMIT"
DEFAULT_CPUS = 1

log = logging.getLogger(__name__)


def cpu_limit(environ: Mapping[str, str]) -> int:
    """Whole cores the run may use: ``MODELOPS_CPU_LIMIT`` rounded up, else ``DEFAULT_CPUS``."""
    text = environ.get(CPU_LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_CPUS
    try:
        cores = float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        cores = math.nan
    if not math.isfinite(cores) or cores <= 0:
        log.warning("%s=%r is not a CPU quantity; using %d", CPU_LIMIT_VARIABLE, text, DEFAULT_CPUS)
        return DEFAULT_CPUS
    return max(1, math.ceil(cores))


def jobs(requested: object, cpus: int) -> int:
    """``n_jobs`` within ``cpus``: -1 (every core) is ``cpus``, -k is ``cpus + 1 - k`` as joblib
    counts, and more than ``cpus`` is ``cpus``. ValueError for what is no number of jobs."""
    if isinstance(requested, bool) or not isinstance(requested, int) or requested == 0:
        raise ValueError(f"n_jobs must be a positive number of jobs or -1, not {requested!r}")
    if requested < 0:
        return max(1, cpus + 1 + requested)
    return min(requested, cpus)
