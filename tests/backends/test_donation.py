"""jit(donate_argnums=...): the CPU backend writes an output into a donated input's buffer
when that is safe, and otherwise computes the same values in a new array (with JAX's warning
when a donated buffer cannot be used)."""
import tracemalloc
import warnings

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp

f32 = np.float32


def w1(x):
    return fnp.tanh(x) * fnp.sin(x) + 0.5 * fnp.exp(-x * x)


class _RaiseOnWarning(warnings.catch_warnings):
    """A block in which a warning (an unusable donation) is an error."""

    def __enter__(self):
        super().__enter__()
        warnings.simplefilter("error")


def test_output_is_written_into_the_donated_input():
    g = fnx.jit(w1, donate_argnums=0)
    plain = fnx.jit(w1)
    for n in (1, 7, 1000):
        x = np.linspace(-2, 2, n, dtype=f32)
        ref = plain(x)
        address = x.ctypes.data
        with _RaiseOnWarning():
            out = g(x)
        assert out is x and out.ctypes.data == address  # the output is the donated array
        np.testing.assert_array_equal(out, ref)  # the same code, the same bits
    assert g.trace_count == 3


def test_donation_allocates_no_output():
    n = 1 << 20  # 4 MiB of float32
    x = np.linspace(-2, 2, n, dtype=f32)
    for donate, bound in ((0, lambda peak: peak < n), ((), lambda peak: peak >= 4 * n)):
        g = fnx.jit(w1, donate_argnums=donate)
        g(x.copy())  # compile (and the arena) first
        y = x.copy()
        tracemalloc.start()
        try:
            g(y)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert bound(peak), (donate, peak)


def test_donate_argnames_and_pytrees():
    def step(params, lr):
        return {k: v - lr * v for k, v in params.items()}
    for g in (fnx.jit(step, donate_argnames="params"), fnx.jit(step, donate_argnums=0)):
        params = {"b": np.ones(3, f32), "w": np.full((2, 3), 2.0, f32)}
        ids = {k: id(v) for k, v in params.items()}
        with _RaiseOnWarning():
            out = g(params, f32(0.5))
            out2 = g(params=dict(out), lr=f32(0.5))  # by keyword too
        assert {k: id(v) for k, v in out.items()} == ids == {k: id(v) for k, v in out2.items()}
        np.testing.assert_array_equal(out2["w"], np.full((2, 3), 0.5, f32))


def test_in_place_update_and_identity_output():
    g = fnx.jit(lambda a, i, u: a.at[i].set(u), donate_argnums=0)
    a = np.zeros(5, f32)
    with _RaiseOnWarning():
        out = g(a, 2, f32(7))
    assert out is a
    np.testing.assert_array_equal(a, [0, 0, 7, 0, 0])
    ident = fnx.jit(lambda a, b: (b * 2, a), donate_argnums=0)
    a, b = np.arange(3, dtype=f32), np.ones(4, f32)
    with _RaiseOnWarning():
        out = ident(a, b)
    assert out[1] is a
    np.testing.assert_array_equal(out[1], [0, 1, 2])


@pytest.mark.parametrize("name, f", [
    ("reversed read", lambda a: a[::-1] * 2),
    ("transposed read", lambda a: a.T + a),
    ("matmul", lambda a: a @ a),
    ("view of an elementwise result", lambda a: fnp.sin(a).T),
    ("reversed elementwise result", lambda a: (a * 2)[::-1]),
    ("flipped columns plus one", lambda a: fnp.exp(a)[:, ::-1] + 1),
    ("read after the output is written", lambda a: (fnp.sin(a), a @ fnp.ones((4, 4), f32))),
])
def test_unsafe_donations_are_not_used_and_warn(name, f):
    a = np.arange(16, dtype=f32).reshape(4, 4) / 16
    ref = fnx.jit(f)(a.copy())
    g = fnx.jit(f, donate_argnums=0)
    with pytest.warns(UserWarning, match=r"donated buffers were not usable: float32\[4,4\]"):
        out = g(a)
    for o, r in zip(fnx.tree_util.tree_leaves(out), fnx.tree_util.tree_leaves(ref)):
        assert o is not a
        np.testing.assert_array_equal(o, r)
    np.testing.assert_array_equal(a, np.arange(16, dtype=f32).reshape(4, 4) / 16)


def test_loop_group_reading_the_donated_input_does_not_use_it():
    # A row-wise softmax is one "group" kernel: max, exp-sum and divide passes over each row,
    # the last one writing the output; the first ones would read what it wrote.
    f = lambda x: fnx.nn.softmax(x, axis=1)  # noqa: E731
    x = np.random.default_rng(0).standard_normal((64, 512)).astype(f32)
    want = fnx.jit(f)(x)
    g = fnx.jit(f, donate_argnums=0)
    assert [k.kind for k in g.lower(x).compile().partition.kernels] == ["group"]
    xd = x.copy()
    with pytest.warns(UserWarning, match="not usable"):
        out = g(xd)
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(xd, x)


def test_no_donation_of_shared_read_only_or_captured_buffers():
    g = fnx.jit(lambda a, b: a * 2 + b, donate_argnums=0)
    x = np.arange(4, dtype=f32)
    out = g(x, x)  # the same buffer is also another argument
    assert out is not x
    np.testing.assert_array_equal(x, [0, 1, 2, 3])
    np.testing.assert_array_equal(out, [0, 3, 6, 9])
    v = np.arange(8, dtype=f32)
    out = g(v[:4], v[4:])  # disjoint views of one array: donated
    assert out is v[:4].base or np.shares_memory(out, v[:4])
    ro = np.arange(4, dtype=f32)
    ro.flags.writeable = False
    out = g(ro, ro + 1)
    assert out is not ro
    np.testing.assert_array_equal(ro, [0, 1, 2, 3])
    c = np.arange(4, dtype=f32)
    h = fnx.jit(lambda a: a * 2 + c, donate_argnums=0)  # `c` is also a constant of the program
    np.testing.assert_array_equal(h(c), [0, 3, 6, 9])
    np.testing.assert_array_equal(h(np.arange(4, dtype=f32)), [0, 3, 6, 9])  # constant intact


def test_donation_ignored_eagerly_and_inside_transformations():
    g = fnx.jit(lambda a: fnp.sin(a) * a, donate_argnums=0)
    x = np.linspace(0, 1, 5, dtype=f32)
    keep = x.copy()
    np.testing.assert_allclose(fnx.grad(lambda a: fnp.sum(g(a)))(x),
                               np.cos(keep) * keep + np.sin(keep), rtol=1e-6)
    np.testing.assert_allclose(fnx.vmap(g)(x), np.sin(keep) * keep, rtol=1e-6)
    np.testing.assert_array_equal(x, keep)


def test_interpreter_backend_warns_and_computes():
    g = fnx.jit(lambda a: a + 1, donate_argnums=0, backend="interpreter")
    x = np.zeros(3, f32)
    with pytest.warns(UserWarning, match="not usable"):
        np.testing.assert_array_equal(g(x), [1, 1, 1])
    np.testing.assert_array_equal(x, [0, 0, 0])


def test_donation_errors():
    with pytest.raises(ValueError, match=r"invalid argnames \['y'\] in donate_argnames"):
        fnx.jit(lambda x: x, donate_argnames="y")
    with pytest.raises(ValueError, match=r"donate_argnums=\(2,\), but only accepts 1"):
        fnx.jit(lambda x: x, donate_argnums=2)


# ------------------------------------------- donated or not, the same bits, as a property

from hypothesis import given, settings, strategies as st  # noqa: E402

# Each step maps the current value `a` (4x4 float32) and the other input `y` to a new 4x4 value:
# elementwise work (readable in place), views that read other elements (not), reductions
# broadcast back, a product, an in-place update, and the donated input itself read again.
_STEPS = [
    lambda a, x, y: fnp.sin(a) * 2 + y,
    lambda a, x, y: a[::-1] + a,
    lambda a, x, y: a.T * y,
    lambda a, x, y: a - fnp.sum(a, axis=0, keepdims=True),
    lambda a, x, y: a @ y,
    lambda a, x, y: a.at[1].set(a[2]),
    lambda a, x, y: a + x,
    lambda a, x, y: fnp.maximum(a, x.T),
    lambda a, x, y: fnp.roll(a, 1, axis=1),
    lambda a, x, y: fnp.exp(a).T,
    lambda a, x, y: (a * y)[::-1] - 1,
]


@settings(max_examples=30, deadline=None)
@given(steps=st.lists(st.integers(0, len(_STEPS) - 1), min_size=1, max_size=4),
       extra=st.sampled_from(["none", "input", "sum", "twice"]))
def test_donation_never_changes_results(steps, extra):
    def f(x, y):
        a = x
        for s in steps:
            a = _STEPS[s](a, x, y)
        if extra == "input":
            return a, x
        if extra == "sum":
            return a, fnp.sum(x * 3, axis=1)
        if extra == "twice":
            return a, a
        return a
    rng = np.random.default_rng(len(steps))
    x = rng.uniform(-1, 1, (4, 4)).astype(f32)
    y = rng.uniform(-1, 1, (4, 4)).astype(f32)
    want = fnx.tree_util.tree_leaves(fnx.jit(f)(x, y))
    for _ in range(2):  # compile, then the fast path
        xd = x.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # some programs cannot use the donation
            got = fnx.tree_util.tree_leaves(fnx.jit(f, donate_argnums=0)(xd, y))
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        if not any(g is xd for g in got):  # not donated: the input is untouched
            np.testing.assert_array_equal(xd, x)
