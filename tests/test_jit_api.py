"""jit as jax.jit: wrapping any callable, static arguments by name or position, methods,
non-native byte order, and JAX's cache hits and misses (counted by tracing side effects)."""
import functools

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp

f32 = np.float32


# ------------------------------------------------------------------ what jit wraps

def _scale(a, x):
    return a * x


def test_jit_of_partial_and_of_callable_object():
    x = np.arange(3, dtype=f32)
    g = fnx.jit(functools.partial(_scale, f32(2)))
    np.testing.assert_array_equal(g(x), 2 * x)
    np.testing.assert_array_equal(g(x), 2 * x)
    assert g.__name__ == "_scale" and g.__wrapped__.func is _scale  # JAX's names

    class Shift:
        def __call__(self, x):
            return x + f32(1)
    h = fnx.jit(Shift())
    np.testing.assert_array_equal(h(x), x + 1)
    assert h.__name__ == "<unnamed function>"


def test_wrapper_copies_metadata_not_dict():
    def f(x):
        """doc of f"""
        return x
    f.extra = 1
    g = fnx.jit(f)
    assert (g.__name__, g.__doc__, g.__wrapped__) == ("f", "doc of f", f)
    assert not hasattr(g, "extra")
    with pytest.raises(TypeError, match="callable"):
        fnx.jit(3)


# ---------------------------------------------------------------- static arguments

def _count_static(**jit_kw):
    calls = []

    def f(x, n, *, mode="sin"):
        calls.append((n, mode))
        y = x
        for _ in range(n):
            y = fnp.sin(y) if mode == "sin" else fnp.cos(y)
        return y
    return fnx.jit(f, **jit_kw), calls


def test_static_argnames_by_position_and_argnums_by_keyword():
    x = np.linspace(0, 1, 4, dtype=f32)
    for kw in (dict(static_argnames="n"), dict(static_argnums=1)):
        g, calls = _count_static(**kw)
        np.testing.assert_allclose(g(x, 2), np.sin(np.sin(x)), rtol=1e-6)  # by position
        np.testing.assert_allclose(g(x, n=3), np.sin(np.sin(np.sin(x))), rtol=1e-6)  # by name
        assert calls == [(2, "sin"), (3, "sin")]  # concrete ints: static both ways
        assert g.static_argnums == (1,) and g.static_argnames == ("n",)


def test_both_given_are_not_inferred():
    g, calls = _count_static(static_argnums=1, static_argnames="mode")
    x = np.ones(2, f32)
    g(x, 1, mode="cos")
    assert calls == [(1, "cos")]
    # `n` by keyword is not in static_argnames (JAX infers nothing when both are given): traced,
    # so the Python loop fails on a traced count.
    with pytest.raises(Exception):
        g(x, n=1)


def test_static_argument_errors_as_jax():
    def f(x, n, *, mode="a"):
        return x

    def po(x, n, /):
        return x
    with pytest.raises(ValueError, match=r"static_argnums=\(3,\), but only accepts 2 positional"):
        fnx.jit(f, static_argnums=3)
    with pytest.raises(ValueError, match=r"static_argnums=\(-3,\)"):
        fnx.jit(f, static_argnums=-3)
    with pytest.raises(ValueError, match=r"invalid argnames \['zz'\] in static_argnames"):
        fnx.jit(f, static_argnames="zz")
    with pytest.raises(ValueError, match="positional-only"):
        fnx.jit(po, static_argnames="n")
    with pytest.raises(TypeError, match="static_argnums must be an int"):
        fnx.jit(f, static_argnums="n")
    with pytest.raises(TypeError, match="static_argnames must be a str"):
        fnx.jit(f, static_argnames=1)
    with pytest.raises(ValueError, match="both static and donated"):
        fnx.jit(f, static_argnums=1, donate_argnums=1)
    g = fnx.jit(f, static_argnames="mode")
    with pytest.raises(ValueError, match=r"hashable: argument 'mode' is a list"):
        g(np.ones(2, f32), 1, mode=[1])
    with pytest.raises(TypeError, match=r"jit\(f\): argument 'n': str is not a valid"):
        g(np.ones(2, f32), "s")
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'n'"):
        g(np.ones(2, f32))
    with pytest.raises(TypeError, match="unexpected keyword argument 'zz'"):
        g(np.ones(2, f32), 1, zz=2)

    def var(x, *args):
        return x
    fnx.jit(var, static_argnums=5)  # any position is valid with *args, as in JAX
    with pytest.raises(ValueError, match="argument number -2 is out of range for a call with 1"):
        fnx.jit(lambda x, n=2: x * n, static_argnums=-2)(np.ones(2, f32))


def test_defaults_and_keyword_arguments_of_traced_parameters():
    def f(x, scale=f32(2), *, shift=f32(0)):
        return x * scale + shift
    g = fnx.jit(f)
    x = np.arange(3, dtype=f32)
    np.testing.assert_array_equal(g(x), x * 2)
    np.testing.assert_array_equal(g(x, shift=f32(1)), x * 2 + 1)
    np.testing.assert_array_equal(g(x, scale=f32(3)), x * 3)
    np.testing.assert_array_equal(g(scale=f32(3), x=x), x * 3)
    h = fnx.jit(lambda x, n=2: x * n, static_argnums=1)
    np.testing.assert_array_equal(h(x), x * 2)  # static argument left to its default


# ------------------------------------------------------------------------ methods

class _Model:
    def __init__(self, k):
        self.k = f32(k)

    def __hash__(self):
        return hash(self.k)

    def __eq__(self, other):
        return isinstance(other, _Model) and self.k == other.k

    def apply(self, x):
        return x * self.k

    @fnx.jit
    def traced_self(self, x):
        return x * 2

    @functools.partial(fnx.jit, static_argnums=0)
    def static_self(self, x):
        return x * self.k

    @functools.partial(fnx.jit, static_argnames="self")
    def static_self_by_name(self, x):
        return x + self.k


def test_jit_of_bound_method_and_decorated_methods():
    x = np.arange(3, dtype=f32)
    m = _Model(3)
    np.testing.assert_array_equal(fnx.jit(m.apply)(x), 3 * x)
    np.testing.assert_array_equal(m.static_self(x), 3 * x)
    np.testing.assert_array_equal(m.static_self_by_name(x), x + 3)
    np.testing.assert_array_equal(_Model(4).static_self(x), 4 * x)
    assert _Model.static_self.trace_count == 2
    assert isinstance(_Model.__dict__["traced_self"], fnx.jit(lambda x: x).__class__)
    assert _Model.traced_self is _Model.__dict__["traced_self"]
    # `self` is passed as the first argument, as with jax.jit: it is not an array, so it
    # must be static.
    with pytest.raises(TypeError, match=r"argument 'self': _Model is not a valid fnx argument"):
        m.traced_self(x)


def test_partial_jit_as_decorator():
    @functools.partial(fnx.jit, static_argnums=(1,))
    def power(x, n):
        return x ** n
    x = np.arange(3, dtype=f32)
    np.testing.assert_array_equal(power(x, 3), x ** 3)
    np.testing.assert_array_equal(power(x, n=3), x ** 3)

    @fnx.jit(static_argnames="n")  # jit(**options) as a decorator factory
    def power2(x, n):
        return x ** n
    np.testing.assert_array_equal(power2(x, 2), x ** 2)


# ------------------------------------------------------------- non-native byte order

@pytest.mark.parametrize("dtype", [">f4", pytest.param(">f8", marks=pytest.mark.x64), ">i4",
                                   "<f4"])
def test_non_native_byte_order_on_every_path(dtype):
    x = np.arange(-2, 3).astype(dtype)
    native = x.astype(x.dtype.newbyteorder("="))
    f = lambda v: v * v + v  # noqa: E731
    ref = f(native)
    g = fnx.jit(f)
    for _ in range(3):  # first call compiles; later ones must take the same path
        out = g(x)
        assert out.dtype == ref.dtype and out.dtype.isnative
        np.testing.assert_array_equal(out, ref)
    assert g.trace_count == 1
    g(native)
    assert g.trace_count == 1  # one signature: byte order is converted, not keyed on
    for eager in (f(fnp.asarray(x)), fnp.sum(x, axis=0, keepdims=True)):
        assert eager.dtype.isnative
    np.testing.assert_array_equal(f(fnp.asarray(x)), ref)
    assert fnp.sum(x) == native.sum()  # numpy's sum(dtype='>f4') raises
    np.testing.assert_array_equal(fnx.vmap(f)(x), ref)
    np.testing.assert_array_equal(fnx.vmap(fnp.sum)(x[:, None]), native)
    for backend in fnx.backends.available_backends():  # a constant of non-native byte order
        h = fnx.jit(lambda v: fnp.sum(v + x), backend=backend)
        np.testing.assert_array_equal(h(native), 2 * native.sum())
    if native.dtype.kind == "f":
        tol = dict(rtol=1e-6) if native.dtype == f32 else dict(rtol=1e-15)
        grad = fnx.grad(lambda v: fnp.sum(fnp.sin(v)))(x)
        assert grad.dtype == native.dtype
        np.testing.assert_array_equal(fnx.grad(fnp.sum)(x), np.ones_like(native))
        np.testing.assert_allclose(grad, np.cos(native), **tol)
        np.testing.assert_allclose(fnx.jit(fnx.grad(lambda v: fnp.sum(fnp.sin(v))))(x),
                                   np.cos(native), **tol)


# --------------------------------------------------- cache hits and misses, as JAX

x3 = np.ones(3, f32)

# Call sequences and how many times jax.jit traces for each (JAX 0.10; identical with
# jax_enable_x64 on and off). f(x0, y=None, a=None, b=None) returns x0's first leaf.
_SEQUENCES = {
    "int_then_int": ([((x3, 1), {}), ((x3, 2), {})], 1),
    "int_then_float": ([((x3, 1), {}), ((x3, 1.0), {})], 2),
    "float_then_float": ([((x3, 1.0), {}), ((x3, 2.5), {})], 1),
    "bool_then_int": ([((x3, True), {}), ((x3, 1), {})], 2),
    "float_then_np_float32": ([((x3, 1.0), {}), ((x3, f32(1.0)), {})], 2),
    "np_float32_then_0d_array": ([((x3, f32(1.0)), {}), ((x3, np.array(1.0, f32)), {})], 1),
    "np_float32_twice": ([((x3, f32(1.0)), {}), ((x3, f32(2.0)), {})], 1),
    "int_then_int32_0d": ([((x3, 1), {}), ((x3, np.array(1, np.int32)), {})], 2),
    "new_shape": ([((x3,), {}), ((np.ones(4, f32),), {})], 2),
    "new_rank": ([((x3,), {}), ((np.ones((1, 3), f32),), {})], 2),
    "f32_then_i32": ([((x3,), {}), ((np.ones(3, np.int32),), {})], 2),
    "non_contiguous": ([((x3,), {}), ((np.ones(6, f32)[::2],), {})], 1),
    "keyword_vs_positional": ([((x3, x3), {}), ((x3,), {"y": x3})], 2),
    "keyword_order": ([((x3,), {"a": x3, "b": x3}), ((x3,), {"b": x3, "a": x3})], 1),
    "dict_key_order": ([(({"a": x3, "b": x3},), {}), (({"b": x3, "a": x3},), {})], 1),
    "dict_new_key": ([(({"a": x3},), {}), (({"a": x3, "b": x3},), {})], 2),
    "list_vs_tuple": ([(([x3, x3],), {}), (((x3, x3),), {})], 2),
    "none_leaf_again": ([(((x3, None),), {}), (((x3, None),), {})], 1),
    "none_then_array": ([(((x3, None),), {}), (((x3, x3),), {})], 2),
    "new_values": ([((x3,), {}), ((x3 + 1,), {})], 1),
}


def _first_leaf(x0, y=None, a=None, b=None):
    return fnx.tree_util.tree_leaves(x0)[0]


@pytest.mark.parametrize("name", sorted(_SEQUENCES))
def test_trace_count_matches_jax(name):
    seq, jax_count = _SEQUENCES[name]
    traces = []

    def f(x0, y=None, a=None, b=None):
        traces.append(1)
        return _first_leaf(x0)
    g = fnx.jit(f)
    for args, kwargs in seq:
        g(*args, **kwargs)
    assert len(traces) == jax_count == g.trace_count


# f(x, n=2, *, m=1.0) with static arguments.
_STATIC_SEQUENCES = {
    "equal_tuples": ([((x3, (1, 2)), {}), ((x3, tuple([1, 2])), {})], dict(static_argnums=1), 1),
    "int_then_equal_float": ([((x3, 1), {}), ((x3, 1.0), {})], dict(static_argnums=1), 2),
    "int_then_equal_bool": ([((x3, 1), {}), ((x3, True), {})], dict(static_argnums=1), 2),
    "equal_strings": ([((x3, "ab"), {}), ((x3, "".join(["a", "b"])), {})],
                      dict(static_argnums=1), 1),
    "name_by_position_then_keyword": ([((x3, 3), {}), ((x3,), {"n": 3})],
                                      dict(static_argnames="n"), 2),
    "default_then_explicit": ([((x3,), {}), ((x3, 2), {})], dict(static_argnames="n"), 2),
    "keyword_only_equal": ([((x3,), {"m": 2.0}), ((x3,), {"m": 2.0})],
                           dict(static_argnames="m"), 1),
    "keyword_only_new": ([((x3,), {"m": 2.0}), ((x3,), {"m": 3.0})],
                         dict(static_argnames="m"), 2),
    "traced_default_then_explicit": ([((x3,), {}), ((x3, 2), {})], {}, 2),
    "traced_positional_then_keyword": ([((x3, 2), {}), ((x3,), {"n": 2})], {}, 2),
    "back_to_first_value": ([((x3, 1), {}), ((x3, 2), {}), ((x3, 1), {})],
                            dict(static_argnums=1), 2),
}


@pytest.mark.parametrize("name", sorted(_STATIC_SEQUENCES))
def test_trace_count_with_static_arguments_matches_jax(name):
    seq, jit_kw, jax_count = _STATIC_SEQUENCES[name]
    traces = []

    def f(x, n=2, *, m=1.0):
        traces.append(1)
        return x
    g = fnx.jit(f, **jit_kw)
    for args, kwargs in seq:
        g(*args, **kwargs)
    assert len(traces) == jax_count == g.trace_count


@pytest.mark.x64
def test_trace_count_64_bit_arrays_with_x64():
    # With jax_enable_x64 on, float64/int64 arrays are their own signatures (JAX: 2 traces each;
    # with it off they are canonicalised to 32 bits and JAX traces once).
    for a, b in [(np.ones(3, f32), np.ones(3, np.float64)),
                 (np.ones(3, np.int32), np.ones(3, np.int64))]:
        g = fnx.jit(lambda v: v)
        g(a)
        g(b)
        assert g.trace_count == 2
