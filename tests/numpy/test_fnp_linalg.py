"""Products: dot, matmul, vdot, inner, outer, tensordot, einsum (vs np.einsum), kron, cross,
linalg.norm. Float tolerances: the eager product is numpy's matmul (BLAS), whose summation
order differs from numpy's dot/einsum: rtol 1e-5 (f32) / 1e-12 (f64)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp

from fnp_util import DTYPES, check

RT = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


def _arr(shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed + len(shape))
    d = np.dtype(dtype)
    if d.kind == "b":
        return rng.random(shape) > 0.5
    if d.kind in "iu":
        return rng.integers(0, 5, shape).astype(d)
    return rng.normal(size=shape).astype(d)


def _check(f_fnp, f_np, *xs):
    want = np.asarray(f_np(*xs))
    check(f_fnp, lambda *a: want, *xs, rtol=RT.get(want.dtype, 0.0))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                                   ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
                                   ((1, 2, 3), (4, 3, 2)), ((2, 1, 2, 3), (3, 3, 1)),
                                   ((0, 3), (3, 2)), ((2, 0), (0, 3))])
def test_matmul_shapes(sa, sb):
    a, b = _arr(sa), _arr(sb, seed=1)
    _check(fnp.matmul, np.matmul, a, b)
    _check(lambda x, y: x @ y if not isinstance(x, np.ndarray) else fnp.matmul(x, y),
           np.matmul, a, b)


def test_matmul_dtype_pairs():
    for da, db in itertools.product(DTYPES, DTYPES):
        a, b = _arr((2, 3), da), _arr((3, 2), db, seed=1)
        _check(fnp.matmul, np.matmul, a, b)
        _check(fnp.dot, np.dot, a, b)


@pytest.mark.parametrize("sa,sb", [((), (3,)), ((3,), ()), ((3,), (3,)), ((2, 3), (3,)),
                                   ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 3, 4), (4,)),
                                   ((2, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3))])
def test_dot(sa, sb):
    _check(fnp.dot, np.dot, _arr(sa), _arr(sb, seed=1))


@pytest.mark.parametrize("sa,sb", [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)),
                                   ((2, 5, 3), (4, 3))])
def test_inner_outer_vdot(sa, sb):
    a, b = _arr(sa), _arr(sb, seed=1)
    _check(fnp.inner, np.inner, a, b)
    _check(fnp.outer, np.outer, a, b)
    if a.size == b.size:
        _check(fnp.vdot, np.vdot, a, b)
    _check(fnp.vdot, np.vdot, _arr((2, 3)), _arr((6,), seed=1))


@pytest.mark.parametrize("axes", [0, 1, 2, ([1, 0], [0, 1]), ((2,), (1,)), (1, 2), ([], [])])
def test_tensordot(axes):
    a, b = _arr((3, 4, 5)), _arr((4, 5, 2), seed=1)
    if axes == (1, 2):
        a, b = _arr((3, 4, 5)), _arr((2, 5, 4), seed=1)
    if axes == ((2,), (1,)):
        b = _arr((2, 5, 3), seed=1)
    if axes == 1:
        b = _arr((5, 2), seed=1)
    if axes == ([1, 0], [0, 1]):
        b = _arr((4, 3, 2), seed=1)
    _check(lambda x, y: fnp.tensordot(x, y, axes), lambda x, y: np.tensordot(x, y, axes), a, b)


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]), ("i,i->", [(3,), (3,)]), ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]), ("ij,ij->ij", [(2, 3), (2, 3)]), ("ij,ij->", [(2, 3), (2, 3)]),
    ("ij,ij->i", [(2, 3), (2, 3)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ii->", [(3, 3)]),
    ("ij->ji", [(2, 3)]), ("ij", [(2, 3)]), ("ji", [(2, 3)]), ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]), ("ijk->kji", [(2, 3, 4)]), ("iij->ij", [(3, 3, 2)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (5, 3, 4)]), ("...ij,jk->...ik", [(6, 5, 2, 3), (3, 4)]),
    ("ij...,j...->i...", [(2, 3, 4), (3, 4)]), ("...,...", [(2, 3), (2, 3)]),
    ("i...->...", [(2, 3, 4)]), ("...ii->...i", [(4, 3, 3)]),
    ("abc,cd->abd", [(2, 3, 4), (4, 5)]), ("abc,bd->acd", [(2, 3, 4), (3, 5)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 5)]), ("i,i,i->", [(3,), (3,), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("ab,cd->abcd", [(2, 3), (4, 5)]),
    ("aab,bc->ac", [(2, 2, 3), (3, 4)]), ("ij,ji->", [(3, 4), (4, 3)]),
    ("ijk,ikl->ijl", [(2, 3, 4), (2, 4, 5)]), ("i,->i", [(3,), ()]), (",->", [(), ()]),
    ("ba,ca->bc", [(3, 2), (4, 2)]), ("...i,...i->...", [(1, 3), (4, 3)]),
]


@pytest.mark.parametrize("spec,shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum_vs_numpy(spec, shapes):
    xs = [_arr(s, seed=k) for k, s in enumerate(shapes)]
    _check(lambda *a: fnp.einsum(spec, *a), lambda *a: np.einsum(spec, *a), *xs)


@pytest.mark.parametrize("dtype", DTYPES)
def test_einsum_dtypes(dtype):
    a, b = _arr((2, 3), dtype), _arr((3, 4), dtype, seed=1)
    _check(lambda x, y: fnp.einsum("ij,jk->ik", x, y), lambda x, y: np.einsum("ij,jk->ik", x, y), a, b)
    _check(lambda x: fnp.einsum("ij->j", x), lambda x: np.einsum("ij->j", x), a)


def test_einsum_lowers_without_loops():
    prog = fnx.make_ir(lambda a, b: fnp.einsum("bij,bjk->bik", a, b))(_arr((64, 8, 8)),
                                                                       _arr((64, 8, 8)))
    assert [e.primitive for e in prog.equations] == ["dot_general"]
    prog = fnx.make_ir(lambda a: fnp.einsum("ii->", a))(_arr((50, 50)))
    assert len(prog.equations) <= 2


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_kron_cross_vecdot_matvec():
    _check(fnp.kron, np.kron, _arr((2, 3)), _arr((3, 2), seed=1))
    _check(fnp.kron, np.kron, _arr((2,)), _arr((3, 2), seed=1))
    _check(fnp.kron, np.kron, _arr((2, 2, 2)), _arr((3,), seed=1))
    _check(fnp.cross, np.cross, _arr((4, 3)), _arr((4, 3), seed=1))
    _check(fnp.cross, np.cross, _arr((3,)), _arr((2,), seed=1))
    _check(fnp.cross, np.cross, _arr((5, 2)), _arr((5, 2), seed=1))
    _check(lambda a, b: fnp.cross(a, b, axis=0), lambda a, b: np.cross(a, b, axis=0),
           _arr((3, 4)), _arr((3, 4), seed=1))
    _check(fnp.vecdot, np.vecdot, _arr((4, 3)), _arr((3,), seed=1))
    _check(fnp.matvec, np.matvec, _arr((2, 4, 3)), _arr((3,), seed=1))
    _check(fnp.vecmat, np.vecmat, _arr((4,)), _arr((2, 4, 3), seed=1))


def test_norms():
    x = _arr((3, 4))
    for ord_ in (None, 1, 2, np.inf, -np.inf, 0, 3):
        _check(lambda a: fnp.linalg.norm(a[0], ord_), lambda a: np.linalg.norm(a[0], ord_), x)
        _check(lambda a: fnp.linalg.norm(a, ord_, axis=1), lambda a: np.linalg.norm(a, ord_, axis=1), x)
    for ord_ in (None, "fro", 1, -1, np.inf, -np.inf):
        _check(lambda a: fnp.linalg.norm(a, ord_), lambda a: np.linalg.norm(a, ord_), x)
    _check(lambda a: fnp.linalg.norm(a, keepdims=True), lambda a: np.linalg.norm(a, keepdims=True), x)
    _check(lambda a: fnp.linalg.norm(a, axis=(1, 2)), lambda a: np.linalg.norm(a, axis=(1, 2)),
           _arr((2, 3, 4)))
    with pytest.raises(NotImplementedError, match="fnx.numpy.linalg.inv"):
        fnp.linalg.inv(x)


@pytest.mark.x64  # the messages name float64 operands
def test_shape_errors_name_function_and_shapes():
    a, b = _arr((2, 3)), _arr((4, 5))
    for f, name in [(fnp.matmul, "matmul"), (fnp.dot, "dot"), (fnp.inner, "inner"),
                    (lambda x, y: fnp.einsum("ij,jk", x, y), "einsum"),
                    (lambda x, y: fnp.tensordot(x, y, 1), "tensordot")]:
        with pytest.raises(fnx.FnxTypeError, match=name) as e:
            f(a, b)
        assert "f64[2,3]" in str(e.value) and "f64[4,5]" in str(e.value)
        assert "test_fnp_linalg.py" in str(e.value)


