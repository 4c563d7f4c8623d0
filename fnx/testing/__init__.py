"""Testing helpers: `check_grads` (JAX's `jax.test_util.check_grads`)."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .. import tree_util
from .._core.ad_api import jvp, vjp
from .._core.config import enable_x64

__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_jvp"]

EPS = 1e-4


def _is_float(x) -> bool:
    return np.asarray(x).dtype.kind == "f"


def _to_f64(x):
    """Floating leaves are checked in float64 (finite differences need the precision)."""
    a = np.asarray(x)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def _rand_like(rng, x):
    a = np.asarray(x)
    if a.dtype.kind != "f":
        return np.zeros(a.shape, a.dtype)
    return rng.standard_normal(a.shape).astype(a.dtype)


def _tree_map(f, *trees):
    return tree_util.tree_map(f, *trees)


def numerical_jvp(f: Callable, args: Sequence, tangents: Sequence, eps: float = EPS):
    """Central finite difference `(f(x + eps t) - f(x - eps t)) / 2 eps` (zero for
    non-float outputs)."""
    plus = _tree_map(lambda x, t: np.asarray(x) + eps * np.asarray(t) if _is_float(x)
                     else x, tuple(args), tuple(tangents))
    minus = _tree_map(lambda x, t: np.asarray(x) - eps * np.asarray(t) if _is_float(x)
                      else x, tuple(args), tuple(tangents))
    fp, fm = f(*plus), f(*minus)
    return _tree_map(lambda a, b: (np.asarray(a) - np.asarray(b)) / (2 * eps)
                     if _is_float(a) else np.zeros(np.shape(a)), fp, fm)


def _inner(xs, ys) -> float:
    total = 0.0
    for x, y in zip(tree_util.tree_leaves(xs), tree_util.tree_leaves(ys), strict=True):
        if _is_float(x) and _is_float(y):
            total += float(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64)))
    return total


def _check_close(got, expected, atol: float, rtol: float, what: str) -> None:
    g_leaves, g_tree = tree_util.tree_flatten(got)
    e_leaves, e_tree = tree_util.tree_flatten(expected)
    if g_tree != e_tree:
        raise AssertionError(f"{what}: structure {g_tree} differs from the expected {e_tree}")
    for k, (g, e) in enumerate(zip(g_leaves, e_leaves, strict=True)):
        g, e = np.asarray(g), np.asarray(e)
        if g.shape != e.shape:
            raise AssertionError(f"{what}: leaf {k} has shape {g.shape}, expected {e.shape}")
        if not (_is_float(g) or _is_float(e)):
            if not np.array_equal(g, e):
                raise AssertionError(f"{what}: leaf {k}: {g} != {e}")
            continue
        g64, e64 = g.astype(np.float64), e.astype(np.float64)
        both_nan = np.isnan(g64) & np.isnan(e64)
        same_inf = np.isinf(g64) & (g64 == e64)
        err = np.abs(g64 - e64)
        excess = np.where(both_nan | same_inf, -1.0,
                          np.where(np.isnan(err), np.inf, err - (atol + rtol * np.abs(e64))))
        if excess.size and np.max(excess) > 0:
            i = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
            bad = int(np.sum(excess > 0))
            raise AssertionError(
                f"{what}: leaf {k} (shape {g.shape}): {bad} of {g.size} elements differ "
                f"beyond atol={atol:g}, rtol={rtol:g}; worst at index {tuple(int(j) for j in i)}: "
                f"got {g64[i]!r}, expected {e64[i]!r} (abs err {err[i]:.3g})")


def _defaults(atol, rtol, eps):
    return (1e-5 if atol is None else atol, 1e-5 if rtol is None else rtol,
            EPS if eps is None else eps)


def check_jvp(f: Callable, f_jvp: Callable, args: Sequence, atol=None, rtol=None, eps=None,
              err_msg: str = "") -> None:
    """`f_jvp(primals, tangents)` against `f` and central finite differences."""
    atol, rtol, eps = _defaults(atol, rtol, eps)
    rng = np.random.RandomState(0)
    args = tuple(args)
    tangent = _tree_map(lambda x: _rand_like(rng, x), args)
    out, t_out = f_jvp(args, tangent)
    _check_close(out, f(*args), atol, rtol, f"{err_msg or 'JVP'} primal output")
    expected = numerical_jvp(f, args, tangent, eps)
    _check_close(t_out, expected, atol, rtol,
                 f"{err_msg or 'JVP'} tangent vs central finite differences (eps={eps:g})")


def check_vjp(f: Callable, f_vjp: Callable, args: Sequence, atol=None, rtol=None, eps=None,
              err_msg: str = "", f_jvp: Callable | None = None) -> None:
    """`<vjp(u), v> == <u, J v>` with J v from finite differences (and from `f_jvp`,
    when given: the transpose identity, which holds to rounding)."""
    atol, rtol, eps = _defaults(atol, rtol, eps)
    rng = np.random.RandomState(1)
    args = tuple(args)
    out, vjp_fn = f_vjp(*args)
    _check_close(out, f(*args), atol, rtol, f"{err_msg or 'VJP'} primal output")
    v = _tree_map(lambda x: _rand_like(rng, x), args)
    u = _tree_map(lambda x: _rand_like(rng, x), out)
    ct = vjp_fn(u)
    ip = _inner(v, ct)
    ip_fd = _inner(numerical_jvp(f, args, v, eps), u)
    _check_close(np.float64(ip), np.float64(ip_fd), atol, rtol,
                 f"{err_msg or 'VJP'}: <vjp(u), v> vs <u, J v> by finite differences")
    if f_jvp is not None:
        _, jv = f_jvp(args, v)
        _check_close(np.float64(ip), np.float64(_inner(jv, u)), atol, rtol,
                     f"{err_msg or 'VJP'}: transpose identity <vjp(u), v> vs <u, jvp(v)>")


def check_grads(f: Callable, args: Sequence, order: int = 2,
                modes: Sequence[str] = ("fwd", "rev"), atol=None, rtol=None,
                eps=None) -> None:
    """Check `f`'s derivatives up to `order` against central finite differences, in
    float64 (floating arguments are converted, and `f` runs with the x64 switch on, in
    this thread): forward mode (jvp vs finite differences) and reverse mode
    (`<vjp(u), v> == <u, J v>`, and the transpose identity against jvp), recursively on
    the jvp and vjp functions for higher orders. Raises AssertionError naming the worst
    element."""
    for m in modes:
        if m not in ("fwd", "rev"):
            raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', got {m!r}")
    atol, rtol, eps = _defaults(atol, rtol, eps)
    with enable_x64():  # finite differences need float64
        _check_grads(f, _tree_map(_to_f64, tuple(args)), order, modes, atol, rtol, eps)


def _check_grads(f, args, order, modes, atol, rtol, eps) -> None:

    def _check(f, args, order, msg):
        f_jvp = lambda primals, tangents: jvp(f, tuple(primals), tuple(tangents))
        if "fwd" in modes:
            fwd_msg = f"JVP of {msg}" if msg else "JVP"
            check_jvp(f, f_jvp, args, atol, rtol, eps, fwd_msg)
            if order > 1:
                _check(lambda p, t: jvp(f, tuple(p), tuple(t)), (args, args), order - 1,
                       fwd_msg)
        if "rev" in modes:
            rev_msg = f"VJP of {msg}" if msg else "VJP"
            check_vjp(f, lambda *a: vjp(f, *a), args, atol, rtol, eps, rev_msg,
                      f_jvp if "fwd" in modes else None)
            if order > 1:
                def f_vjp(*a):
                    out, vjp_fn = vjp(f, *a)
                    return vjp_fn(out)
                _check(f_vjp, args, order - 1, rev_msg)

    _check(f, args, order, "")
