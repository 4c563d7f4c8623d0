"""Tracing: make_ir on pytrees, scalars, closures, static args; error messages name the user's line."""
import inspect
from collections import namedtuple

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx_ir
from fnx.backends.interpreter import evaluate


def _line_of(marker: str, fn) -> int:
    src, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(src) if marker in line)


def test_make_ir_records_one_equation_per_primitive():
    p = fnx.make_ir(lambda x: fnp.sin(x) + fnp.cos(x))(np.ones(3, np.float32))
    assert [e.primitive for e in p.equations] == ["sin", "cos", "add"]
    assert p.inputs[0].type == fnx_ir.shaped((3,), fnx_ir.float32)
    assert p.outputs[0].type.dtype is fnx_ir.float32


def test_pytree_inputs_and_outputs():
    Pair = namedtuple("Pair", "a b")
    def f(tree):
        return {"s": tree["x"].a + tree["x"].b, "l": [tree["y"] * 2]}
    args = {"x": Pair(np.ones(2), np.ones(2)), "y": np.arange(3.0)}
    p = fnx.make_ir(f)(args)
    assert len(p.inputs) == 3 and len(p.outputs) == 2
    out = evaluate(p, [np.ones(2), np.ones(2), np.arange(3.0)])
    np.testing.assert_array_equal(out[0], [0.0, 2.0, 4.0])  # keys sorted: "l" before "s"
    np.testing.assert_array_equal(out[1], [2.0, 2.0])


def test_pytree_output_order_follows_sorted_dict_keys():
    p = fnx.make_ir(lambda x: {"b": x + 1.0, "a": x * 3.0})(np.ones(2))
    a, b = evaluate(p, [np.full(2, 2.0)])
    np.testing.assert_array_equal(a, [6.0, 6.0])
    np.testing.assert_array_equal(b, [3.0, 3.0])


def test_python_scalars_are_weak_and_keep_float32():
    p = fnx.make_ir(lambda x: x * 2.0)(np.ones(3, np.float32))
    assert p.outputs[0].type.dtype is fnx_ir.float32
    q = fnx.make_ir(lambda x, s: x * s)(np.ones(3, np.float32), 2.0)
    assert q.inputs[1].type.weak and q.outputs[0].type.dtype is fnx_ir.float32


def test_closure_arrays_become_constants_not_inputs():
    w = np.arange(6.0).reshape(2, 3)
    p = fnx.make_ir(lambda x: x @ w)(np.ones((4, 2)))
    assert len(p.inputs) == 1 and len(p.constants) == 1
    np.testing.assert_array_equal(p.constants[0][1], w)
    w[0, 0] = 100.0  # later mutation of the closure array does not change the program
    assert p.constants[0][1][0, 0] == 0.0


def test_static_argnums():
    def f(x, n):
        for _ in range(n):
            x = fnp.sin(x)
        return x
    p = fnx.make_ir(f, static_argnums=1)(np.ones(2), 3)
    assert [e.primitive for e in p.equations] == ["sin"] * 3


def test_shape_error_names_primitive_shapes_and_user_line():
    def f(x, y):
        return fnp.add(x, y)  # MARK
    with pytest.raises(fnx.FnxTypeError) as info:
        fnx.make_ir(f)(np.ones(3), np.ones(4))
    msg = str(info.value)
    assert "(3,)" in msg and "(4,)" in msg
    assert f"{__file__}:{_line_of('# MARK', f)}" in msg


def test_primitive_type_error_names_line():
    def f(x):
        return fnx.lax.add(x, fnx.lax.convert_element_type(x, "int32"))  # MARK
    with pytest.raises(fnx.FnxTypeError) as info:
        fnx.make_ir(f)(np.ones(3, np.float32))
    msg = str(info.value)
    assert "add" in msg and "f32[3]" in msg and "i32[3]" in msg
    assert f"{__file__}:{_line_of('# MARK', f)}" in msg


def test_python_if_on_abstract_value_errors_with_line_and_hint():
    def f(x):
        if fnp.sum(x) > 0:  # MARK
            return x
        return -x
    with pytest.raises(fnx.ConcretizationError) as info:
        fnx.make_ir(f)(np.ones(3))
    msg = str(info.value)
    assert "fnx.lax.cond" in msg and f":{_line_of('# MARK', f)}" in msg


def test_leaked_tracer_is_an_error():
    box = []
    fnx.make_ir(lambda x: box.append(x) or x)(np.ones(2))
    with pytest.raises(fnx.TracerLeakError):
        fnp.sin(box[0])


def test_eager_results_are_fresh_arrays_and_inputs_unchanged():
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    for out in (fnp.reshape(x, (3, 2)), fnp.transpose(x), fnp.sin(x), fnx.lax.broadcast_in_dim(x[0], (2, 3), (1,))):
        assert type(out) is fnx.Array and out.flags.writeable
        out[...] = -1
    np.testing.assert_array_equal(x, before)


def test_eval_matches_eager_for_a_mixed_program():
    def f(x, y):
        return fnp.sum(fnp.tanh(x) * y + 1.5, axis=0) / 3.0
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal(5).astype(np.float32)
    (out,) = evaluate(fnx.make_ir(f)(x, y), [x, y])
    np.testing.assert_array_equal(out, f(x, y))


def test_unsupported_argument_type_is_named():
    with pytest.raises(TypeError, match="str"):
        fnx.make_ir(lambda x: x)("hello")


def test_unsupported_dtype_is_named():
    with pytest.raises(TypeError, match="complex128"):
        fnx.make_ir(lambda x: x)(np.ones(2, np.complex128))


