"""vmap error messages: what was wrong, where (names, axes, sizes), and the user's file:line."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp


def _raises(fn, *fragments, exc=ValueError):
    with pytest.raises(exc) as info:
        fn()
    msg = str(info.value)
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in:\n{msg}"
    return msg


def _here_line(fn) -> str:
    return f"test_errors.py:{fn.__code__.co_firstlineno + 1}"


x, y = np.ones((3, 2)), np.ones((4, 2))


def test_inconsistent_sizes_names_arguments_axes_and_sizes():
    def call():
        return fnx.vmap(lambda a, b: a + b, in_axes=(0, 0))(x, {"w": y})
    _raises(call, "inconsistent sizes", "args[0]", "f64[3,2]", "axis 0 has size 3",
            "args[1]['w']", "axis 0 has size 4", _here_line(call))


def test_inconsistent_with_axis_size():
    _raises(lambda: fnx.vmap(lambda a: a, axis_size=5)(x), "axis_size=5", "size 3")


def test_in_axes_not_a_prefix():
    def call():
        return fnx.vmap(lambda d: d["a"], in_axes=({"b": 0},))({"a": x})
    _raises(call, "pytree prefix", "args[0]", "{'a': *}", _here_line(call))
    _raises(lambda: fnx.vmap(lambda a, b: a, in_axes=(0, (0, 1)))(x, y),
            "pytree prefix", "args[1]", "single leaf")


def test_in_axes_wrong_length():
    _raises(lambda: fnx.vmap(lambda a: a, in_axes=(0, 1))(x),
            "in_axes=(0, 1) has 2 entries", "1 positional arguments")


def test_axis_out_of_range():
    def call():
        return fnx.vmap(lambda a: a, in_axes=2)(x)
    _raises(call, "axis 2 is out of range", "args[0]", "f64[3,2]", "-2..1", _here_line(call))
    _raises(lambda: fnx.vmap(lambda a: a, in_axes=-3)(x), "axis -3 is out of range")
    _raises(lambda: fnx.vmap(lambda a: a)(1.0), "scalar", "in_axes None")
    _raises(lambda: fnx.vmap(lambda a, k: a)(x, k=np.float64(1.0)), "kwargs['k']",
            "keyword arguments")


def test_axis_size_missing():
    def call():
        return fnx.vmap(lambda a: a * 2.0, in_axes=None)(x)
    _raises(call, "no argument is mapped", "axis_size", _here_line(call))


def test_out_axes_none_for_batched_output():
    def call():
        return fnx.vmap(lambda a: {"ok": np.float64(1.0), "bad": a}, out_axes={"ok": None,
                                                                            "bad": None})(x)
    _raises(call, "out_axes is None for output out['bad']", "depends on the mapped inputs",
            _here_line(call))


def test_out_axes_out_of_range_and_structure():
    _raises(lambda: fnx.vmap(lambda a: a, out_axes=3)(x), "out_axes 3 is out of range",
            "-2..1")
    _raises(lambda: fnx.vmap(lambda a: (a, a), out_axes=(0, 0, 0))(x), "out_axes",
            "pytree prefix")


def test_bad_spec_types():
    _raises(lambda: fnx.vmap(lambda a: a, in_axes="x"), "in_axes must be an int, None")
    _raises(lambda: fnx.vmap(lambda a: a, out_axes=1.5), "out_axes must be an int, None")
    _raises(lambda: fnx.vmap(lambda a: a, axis_size=-1), "axis_size")
    _raises(lambda: fnx.vmap(3), "callable", exc=TypeError)


def test_python_control_flow_on_mapped_value():
    def call():
        return fnx.vmap(lambda a: a if fnp.sum(a) > 0 else -a)(x)
    _raises(call, "fnx.lax.cond", exc=fnx.ConcretizationError)


def test_primitive_type_error_inside_vmap_names_user_line():
    def call():
        return fnx.vmap(lambda a: fnp.matmul(a, np.ones((3, 3))))(x)
    _raises(call, "matmul", exc=TypeError)




# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
