"""Error messages: shape/dtype mismatches raise fnx.FnxTypeError naming the function, the
operands' shapes/dtypes and the line of the user's call; eagerly and while tracing."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp


def _line(marker: str) -> int:
    src, start = inspect.getsourcelines(inspect.currentframe().f_back.f_code)
    return start + next(i for i, line in enumerate(src) if marker in line)


def _assert_names(err, *parts):
    msg = str(err.value)
    for p in parts:
        assert p in msg, f"{p!r} not in {msg!r}"


def test_broadcast_mismatch_eager_names_function_shapes_and_line():
    a, b = np.ones((2, 3), np.float32), np.ones(4, np.int32)
    with pytest.raises(fnx.FnxTypeError) as e:
        fnp.add(a, b)  # MARK-add
    _assert_names(e, "fnx.numpy.add", "(2, 3)", "(4,)", "f32[2,3]", "i32[4]",
                  f"test_fnp_errors.py:{_line('MARK-add')}")
    assert isinstance(e.value, ValueError)  # numpy raises ValueError here; we are one too


def test_broadcast_mismatch_traced_names_line():
    def f(x, y):
        return x * y  # MARK-mul
    with pytest.raises(fnx.FnxTypeError) as e:
        fnx.make_ir(f)(np.ones(3), np.ones(2))
    _assert_names(e, "fnx.numpy.multiply", "(3,)", "(2,)", f"test_fnp_errors.py:{_line('MARK-mul')}")


@pytest.mark.parametrize("call,name", [
    (lambda: fnp.matmul(np.ones((2, 3)), np.ones((2, 3))), "matmul"),
    (lambda: fnp.concatenate([np.ones((2, 3)), np.ones((3, 2))], 0), "concatenate"),
    (lambda: fnp.stack([np.ones(2), np.ones(3)]), "stack"),
    (lambda: fnp.reshape(np.ones(6), (4, 2)), "reshape"),
    (lambda: fnp.where(np.ones(2, bool), np.ones(3), 0), "where"),
    (lambda: fnp.broadcast_to(np.ones(3), (2, 4)), "broadcast_to"),
    (lambda: fnp.at(np.ones(3))[:2].set(np.ones(3)), "at[...].set"),
    (lambda: fnp.einsum("ij,jk", np.ones((2, 3)), np.ones((2, 3))), "einsum"),
    (lambda: fnp.clip(np.ones(3), np.zeros(2), 1), "clip"),
])
def test_shape_errors(call, name):
    with pytest.raises(fnx.FnxTypeError) as e:
        call()
    _assert_names(e, f"fnx.numpy.{name}", f"test_fnp_errors.py:{call.__code__.co_firstlineno}")


@pytest.mark.parametrize("call,name,dtypes", [
    (lambda: fnp.bitwise_and(np.ones(2), np.ones(2)), "bitwise_and", "f64[2]"),
    (lambda: fnp.subtract(np.ones(2, bool), np.ones(2, bool)), "subtract", "bool[2]"),
    (lambda: fnp.negative(np.ones(2, bool)), "negative", "bool[2]"),
    (lambda: fnp.left_shift(np.ones(2, np.float32), 1), "left_shift", "f32[2]"),
    (lambda: fnp.invert(np.ones(3)), "invert", "f64[3]"),
])
def test_dtype_errors(call, name, dtypes):
    with pytest.raises(fnx.FnxTypeError) as e:
        call()
    # the user's line is the one calling fnx.numpy (inside the lambda)
    _assert_names(e, f"fnx.numpy.{name}", dtypes, f"test_fnp_errors.py:{call.__code__.co_firstlineno}")


def test_traced_dtype_error_line():
    def f(x):
        y = x + 1
        return y & 3  # MARK-and
    with pytest.raises(fnx.FnxTypeError) as e:
        fnx.make_ir(f)(np.ones(2, np.float32))
    _assert_names(e, "bitwise_and", "f32[2]", f"test_fnp_errors.py:{_line('MARK-and')}")


def test_axis_errors_are_numpy_axis_errors():
    with pytest.raises(np.exceptions.AxisError):
        fnp.sum(np.ones((2, 3)), axis=2)
    with pytest.raises(np.exceptions.AxisError):
        fnp.concatenate([np.ones(2), np.ones(2)], axis=1)
    with pytest.raises(ValueError):
        fnp.sum(np.ones((2, 3)), axis=(0, 0))


def test_unsupported_dtypes_are_clear():
    with pytest.raises(TypeError, match="not supported"):
        fnp.sin(np.ones(2, np.longdouble))
    with pytest.raises(TypeError, match="complex"):
        fnp.sum(np.ones(2, np.complex128))


def test_concretization_errors_point_to_alternatives():
    with pytest.raises(fnx.ConcretizationError, match="size="):
        fnx.make_ir(lambda x: fnp.unique(x))(np.ones(3))
    with pytest.raises(TypeError, match="repeats"):
        fnx.make_ir(lambda x, r: fnp.repeat(x, r))(np.ones(3), np.ones(3, np.int32))




# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
