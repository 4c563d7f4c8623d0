"""Trip counts in the millions under jit with the default backend (the CPU backend lowers
loops natively; the interpreter would run the body a million times in Python). Skipped when
the default backend is not one that declares the "control-flow" capability natively."""
from __future__ import annotations

import time

import numpy as np
import pytest

import fnx
from fnx import lax
from fnx._core.api import default_backend

from ._util import cpu_lowers_control_flow

N = 10 ** 6
native = pytest.mark.skipif(not (cpu_lowers_control_flow() and default_backend() == "cpu"),
                            reason="the default backend does not lower control flow natively")


def _closed_form(a, x, n):
    return a ** n * x + x * (1 - a ** n) / (1 - a)


@native
def test_a_million_fori_loop_iterations():
    a = 0.999999
    f = fnx.jit(lambda x: lax.fori_loop(0, N, lambda i, c: c * a + x, x))
    x = np.float64(1e-3)
    f(x)  # compile
    start = time.perf_counter()
    out = f(x)
    elapsed = time.perf_counter() - start
    np.testing.assert_allclose(out, _closed_form(a, x, N), rtol=1e-9)
    assert elapsed < 2.0, f"{N} iterations took {elapsed:.2f} s"


@native
def test_a_million_while_loop_iterations_with_traced_bound():
    f = fnx.jit(lambda n, x: lax.fori_loop(0, n, lambda i, c: c * 0.5 + x, x))
    out = f(np.int64(N), np.float64(1.0))
    np.testing.assert_allclose(out, 2.0)


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
