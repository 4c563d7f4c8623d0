"""Backend conformance: every backend other than the interpreter must agree with it.

Runs for every registered backend (`fnx.backends.available_backends()`), so a new backend
is tested by registering it and running this file. What agreement means:
- exact (bit for bit, NaN payloads aside) for everything but the cases below;
- transcendental functions: within `ULP` units in the last place;
- sums and products of many terms (reductions, cumulative ops, dot_general): within a
  relative tolerance per dtype, since the order of the additions is the backend's choice;
- the sign of a zero that max/min reductions pick between +0 and -0 is not specified.
Cases: every primitive over every dtype and its edge values (the cases of
tests/rules/test_impl.py), and transforms composed with jit (grad, vmap, jvp, control flow).
"""
from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.backends import available_backends, get_backend, LoweringOptions
from fnx.backends.interpreter import evaluate

BACKENDS = [b for b in available_backends() if b != "interpreter"]

ULP = 4  # transcendentals: the CPU backend's math library is within 3.5 ULP (docs/performance.md)
TRANSCENDENTAL = set("exp exp2 expm1 log log2 log1p sin cos tan asin acos atan sinh cosh tanh "
                     "asinh acosh atanh logistic erf erfc erf_inv cbrt pow atan2 rsqrt".split())
ASSOCIATIVE = {"reduce_sum", "reduce_prod", "cumsum", "cumprod", "dot_general"}
RTOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}
UNSIGNED_ZERO = {"reduce_max", "reduce_min", "cummax", "cummin"}


def _load_cases():
    path = pathlib.Path(__file__).resolve().parents[1] / "rules" / "test_impl.py"
    spec = importlib.util.spec_from_file_location("_impl_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES, module._ids


CASES, _ids = _load_cases()


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| in units in the last place (0 where both are NaN or equal)."""
    bits = {4: np.int32, 8: np.int64}[a.dtype.itemsize]
    ia, ib = a.view(bits).astype(np.int64), b.view(bits).astype(np.int64)
    # map the sign-magnitude float order onto integers
    ia = np.where(ia < 0, np.iinfo(bits).min - ia, ia)
    ib = np.where(ib < 0, np.iinfo(bits).min - ib, ib)
    d = np.abs(ia - ib)
    return np.where(np.isnan(a) & np.isnan(b), 0, d)


def assert_conforms(got, want, primitives: set[str], what: str) -> None:
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, f"{what}: {g.dtype}{g.shape} vs {w.dtype}{w.shape}"
        if w.dtype.kind != "f":
            np.testing.assert_array_equal(g, w, err_msg=what)
        elif primitives & ASSOCIATIVE:
            np.testing.assert_allclose(g, w, rtol=RTOL[w.dtype], atol=RTOL[w.dtype] * 1e-3,
                                       equal_nan=True, err_msg=what)
        elif primitives & TRANSCENDENTAL:
            worst = ulp_distance(g, w).max(initial=0)
            assert worst <= ULP, f"{what}: {worst} ULP apart (allowed {ULP})"
        else:
            if primitives & UNSIGNED_ZERO:
                g, w = g + 0.0, w + 0.0  # -0.0 + 0.0 is +0.0
            np.testing.assert_array_equal(g.view(f"u{g.itemsize}")[~np.isnan(g)],
                                          w.view(f"u{w.itemsize}")[~np.isnan(w)], err_msg=what)
            np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg=what)


def _by_primitive():
    groups: dict[str, list] = {}
    for c in CASES:
        groups.setdefault(c.prim, []).append(c)
    return groups


GROUPS = _by_primitive()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("prim", sorted(GROUPS))
def test_primitive(backend, prim):
    """All of a primitive's cases in one program (one compile), each output compared."""
    cases = GROUPS[prim]
    starts = np.cumsum([0] + [len(c.args) for c in cases])

    def run_all(*flat):
        return [c.call(*flat[a:b]) for c, a, b in zip(cases, starts[:-1], starts[1:])]
    args = [a for c in cases for a in c.args]
    program = fnx.make_ir(run_all)(*args)
    want = evaluate(program, args)
    copies = [a.copy() for a in args]
    got = get_backend(backend).lower(program, LoweringOptions())(*args)
    for a, cp in zip(args, copies):
        np.testing.assert_array_equal(a, cp, err_msg="the backend mutated an input")
    out_index = 0
    for c, (a, b) in zip(cases, zip(starts[:-1], starts[1:])):
        sub = fnx.make_ir(lambda *xs: c.call(*xs))(*c.args)
        n = len(sub.outputs)
        prims = {eq.primitive for eq in sub.equations}
        assert_conforms(got[out_index:out_index + n], want[out_index:out_index + n], prims,
                        f"{backend} vs interpreter on {_ids(c)}")
        out_index += n


def _mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = fnx.nn.relu(h @ w + b)
    w, b = params[-1]
    return -fnp.mean(fnp.sum(y * fnx.nn.log_softmax(h @ w + b), axis=-1))


def _transform_cases():
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((5, 8)).astype(np.float32), rng.standard_normal(8).astype(np.float32)),
              (rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32))]
    x = rng.standard_normal((4, 5)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    v = rng.standard_normal(6)
    def ode(k):
        def step(s, _):
            return s + 0.01 * fnp.stack([s[1], -k * s[0]]), s[0]
        return fnx.lax.scan(step, fnp.array([1.0, 0.0]), None, length=50)[0][0]
    return {
        "grad_mlp": (fnx.grad(_mlp_loss), (params, x, y)),
        "per_example_grads": (fnx.vmap(fnx.grad(_mlp_loss), in_axes=(None, 0, 0)),
                              (params, x[:, None], y[:, None])),
        "jvp": (lambda v: fnx.jvp(lambda z: fnp.tanh(z) * fnp.sum(z ** 2), (v,), (fnp.ones_like(v),)),
                (v,)),
        "hessian": (fnx.hessian(lambda z: fnp.sum(fnp.sin(z) * z ** 3)), (v,)),
        "vmap_matmul": (fnx.vmap(lambda a, b: a @ b), (rng.standard_normal((3, 4, 5)),
                                                       rng.standard_normal((3, 5, 2)))),
        "grad_of_scan": (fnx.grad(ode), (1.5,)),
        "while_vmap": (fnx.vmap(lambda n: fnx.lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 1.5),
                                                            (0, 1.0))[1]),
                       (np.array([0, 3, 7]),)),
        "cond_grad": (fnx.grad(lambda z: fnx.lax.cond(z > 0, fnp.sin, fnp.cos, z)), (0.7,)),
    }


TRANSFORMS = _transform_cases()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transform_under_jit(backend, name):
    f, args = TRANSFORMS[name]
    want = fnx.jit(f, backend="interpreter")(*args)
    got = fnx.jit(f, backend=backend)(*args)
    program = fnx.jit(f).lower(*args).program
    prims = {eq.primitive for eq in program.equations}
    got_leaves, want_leaves = fnx.tree_util.tree_leaves(got), fnx.tree_util.tree_leaves(want)
    assert fnx.tree_util.tree_structure(got) == fnx.tree_util.tree_structure(want)
    # whole programs mix every kind of operation: compare them as sums of many terms
    assert_conforms(got_leaves, want_leaves, prims | {"reduce_sum"}, f"{backend}: {name}")


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
