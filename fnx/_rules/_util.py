"""Small helpers shared by the rule families."""
from __future__ import annotations

import functools

import numpy as np


def quiet(fn):
    """Run a numpy implementation without floating-point warnings: IEEE results
    (inf, nan) are the defined answers, as in JAX."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return wrapper
