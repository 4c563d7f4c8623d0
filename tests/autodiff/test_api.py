"""The differentiation API: grad/value_and_grad/vjp/jvp/linearize/jacfwd/jacrev/hessian,
pytrees, argnums, has_aux, nesting, jit, Python control flow, and the error messages."""
from collections import namedtuple

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax


def f_scalar(x):
    return fnp.sum(fnp.sin(x) * x)


def df_scalar(x):
    return np.cos(x) * x + np.sin(x)


X = np.array([0.3, -1.2, 2.0])


@pytest.mark.x64  # float64 data at float64 tolerances
def test_grad_matches_analytic():
    np.testing.assert_allclose(fnx.grad(f_scalar)(X), df_scalar(X), rtol=1e-14)


def test_grad_float32_keeps_dtype():
    g = fnx.grad(f_scalar)(X.astype(np.float32))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, df_scalar(X), rtol=1e-5)


@pytest.mark.x64  # float64 data at float64 tolerances
def test_value_and_grad_and_has_aux():
    def loss(w, x):
        y = fnp.tanh(x @ w)
        return fnp.sum(y ** 2), {"pred": y, "note": "kept"}
    w, x = np.ones((3, 2)) * 0.1, np.arange(6.0).reshape(2, 3)
    (v, aux), g = fnx.value_and_grad(loss, has_aux=True)(w, x)
    assert np.isclose(v, np.sum(np.tanh(x @ w) ** 2))
    assert aux["note"] == "kept"
    np.testing.assert_allclose(aux["pred"], np.tanh(x @ w))
    g2, aux2 = fnx.grad(loss, has_aux=True)(w, x)
    np.testing.assert_allclose(g, g2)
    y = np.tanh(x @ w)
    np.testing.assert_allclose(g, x.T @ (2 * y * (1 - y ** 2)), rtol=1e-12)


def test_argnums_tuple_and_pytrees():
    Params = namedtuple("Params", "w b")

    def f(p, scale, x):
        return fnp.sum((x @ p.w + p.b["bias"]) * scale)
    p = Params(np.ones((2, 2)), {"bias": np.array([0.5, -0.5])})
    x = np.array([[1.0, 2.0]])
    gp, gs = fnx.grad(f, argnums=(0, 1))(p, 3.0, x)
    assert isinstance(gp, Params) and set(gp.b) == {"bias"}
    np.testing.assert_allclose(gp.w, 3 * np.array([[1, 1], [2, 2]]))
    np.testing.assert_allclose(gp.b["bias"], [3, 3])
    assert np.isclose(gs, np.sum(x @ p.w + p.b["bias"]))
    gx = fnx.grad(f, argnums=-1)(p, 3.0, x)
    np.testing.assert_allclose(gx, 3 * np.ones((1, 2)) @ p.w.T)


def test_kwargs_are_not_differentiated():
    g = fnx.grad(lambda x, *, k: fnp.sum(x * k))(X, k=np.float64(2.0))
    np.testing.assert_allclose(g, 2 * np.ones(3))


@pytest.mark.x64  # float64 data at float64 tolerances
def test_grad_of_grad_and_hessian():
    f = lambda x: fnp.sin(x) * x ** 3
    d2 = fnx.grad(fnx.grad(f))(0.7)
    x = 0.7
    expected = -np.sin(x) * x ** 3 + 6 * np.cos(x) * x ** 2 + 6 * np.sin(x) * x
    assert np.isclose(d2, expected, rtol=1e-12)
    d3 = fnx.grad(fnx.grad(fnx.grad(lambda x: x ** 4)))(1.5)
    assert np.isclose(d3, 24 * 1.5)


@pytest.mark.x64  # float64 data at float64 tolerances
def test_grad_of_function_calling_grad_inside():
    def f(x, y):
        inner = fnx.grad(lambda y: fnp.sin(x * y))(y)  # x closed over by the inner grad
        return inner * y
    x, y = 0.4, 1.3
    # d/dx [x cos(xy) y]
    expected = np.cos(x * y) * y - x * y * np.sin(x * y) * y
    assert np.isclose(fnx.grad(f)(x, y), expected, rtol=1e-12)
    assert np.isclose(fnx.jit(fnx.grad(f))(x, y), expected, rtol=1e-12)


@pytest.mark.x64  # float64 data at float64 tolerances
def test_hessian_vs_finite_differences():
    def f(x):
        return fnp.sum(fnp.exp(x[:2] * x[1:])) + fnp.sum(fnp.sin(x) ** 2)
    x = np.array([0.2, -0.4, 0.9])
    h = fnx.hessian(f)(x)
    eps = 1e-5
    fd = np.stack([(fnx.grad(f)(x + eps * e) - fnx.grad(f)(x - eps * e)) / (2 * eps)
                   for e in np.eye(3)])
    np.testing.assert_allclose(h, fd, atol=1e-8)
    np.testing.assert_allclose(h, h.T, atol=1e-12)


def test_jacfwd_jacrev_pytrees_and_argnums():
    def f(a, b):
        return {"s": a * b[0], "t": fnp.sum(a) * b}
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0])
    jf = fnx.jacfwd(f, argnums=(0, 1))(a, b)
    jr = fnx.jacrev(f, argnums=(0, 1))(a, b)
    for k in ("s", "t"):
        for i in range(2):
            np.testing.assert_allclose(jf[k][i], jr[k][i], atol=1e-14)
    np.testing.assert_allclose(jf["s"][0], np.diag([0.5, 0.5, 0.5]))
    np.testing.assert_allclose(jf["s"][1], np.stack([a, np.zeros(3)], 1))
    assert jf["t"][0].shape == (2, 3) and jf["t"][1].shape == (2, 2)
    jmat = fnx.jacrev(lambda m: m @ m)(np.arange(4.0).reshape(2, 2))
    assert jmat.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(jmat, fnx.jacfwd(lambda m: m @ m)(np.arange(4.0).reshape(2, 2)))


@pytest.mark.x64  # float64 data at float64 tolerances
def test_jvp_vjp_linearize_consistent():
    f = lambda x, y: (fnp.sin(x) * y, fnp.sum(x * y))
    x, y = np.array([0.1, 0.2]), np.array([3.0, -1.0])
    tx, ty = np.array([1.0, 0.5]), np.array([0.0, 2.0])
    out, tout = fnx.jvp(f, (x, y), (tx, ty))
    out2, f_jvp = fnx.linearize(f, x, y)
    tout2 = f_jvp(tx, ty)
    for a, b in zip(tout, tout2):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    _, vjp_fn = fnx.vjp(f, x, y)
    u = (np.array([0.3, -0.7]), 2.0)
    ct = vjp_fn(u)
    lhs = sum(np.sum(c * t) for c, t in zip(ct, (tx, ty)))
    rhs = np.sum(u[0] * tout[0]) + u[1] * tout[1]
    assert np.isclose(lhs, rhs, rtol=1e-13)


def test_integer_inputs_and_outputs():
    def f(x, n):
        return x * n, n * 2
    out, tout = fnx.jvp(f, (2.0, 3), (1.0, 0))
    assert tout[0] == 3.0 and tout[1] == 0
    _, vjp_fn = fnx.vjp(f, 2.0, 3)
    gx, gn = vjp_fn((1.0, 5))
    assert gx == 3.0 and gn == 0
    g = fnx.grad(lambda x, n: x * n, allow_int=True, argnums=(0, 1))(2.0, 3)
    assert g == (3.0, 0)


@pytest.mark.x64  # float64 data at float64 tolerances
def test_python_control_flow_outside_jit():
    def f(x):
        y = x
        while fnp.sum(y * y) < 100.0:  # data-dependent loop
            y = y * 2.0
        if y[0] > 0:
            return fnp.sum(fnp.sin(y))
        return fnp.sum(y)
    x = np.array([1.0, 0.5])
    g = fnx.grad(f)(x)
    # y = 16 x here (|16x|^2 = 320 >= 100); f = sum(sin(16 x))
    np.testing.assert_allclose(g, 16 * np.cos(16 * x), rtol=1e-13)
    with pytest.raises(fnx.ConcretizationError):
        fnx.jit(fnx.grad(f))(x)


@pytest.mark.x64  # float64 data at float64 tolerances
def test_jit_of_grad_and_grad_of_jit():
    g_eager = fnx.grad(f_scalar)(X)
    np.testing.assert_allclose(fnx.jit(fnx.grad(f_scalar))(X), g_eager, rtol=1e-14)
    np.testing.assert_allclose(fnx.grad(fnx.jit(f_scalar))(X), g_eager, rtol=1e-14)


@pytest.mark.x64  # float64 data at float64 tolerances
def test_vmap_composes():
    per_example = fnx.vmap(fnx.grad(lambda x: fnp.sum(fnp.sin(x) ** 2)))(np.arange(6.0).reshape(3, 2))
    np.testing.assert_allclose(per_example, np.sin(2 * np.arange(6.0)).reshape(3, 2), rtol=1e-13)
    g = fnx.grad(lambda x: fnp.sum(fnx.vmap(fnp.sin)(x)))(np.arange(3.0))
    np.testing.assert_allclose(g, np.cos(np.arange(3.0)))


def test_make_ir_shows_the_gradient_program():
    p = fnx.make_ir(fnx.grad(f_scalar))(X)
    prims = [e.primitive for e in p.equations]
    assert "cos" in prims and "sin" in prims
    assert p.out_types[0].shape == (3,)


def test_no_equation_duplicated_per_use():
    # x used many times: the backward pass accumulates its cotangent, it does not
    # recompute the forward per use
    def f(x):
        s = fnp.sin(x)
        return fnp.sum(s * s + s * x + fnp.exp(s))
    p = fnx.make_ir(fnx.grad(f))(X)
    assert [e.primitive for e in p.equations].count("sin") == 1
    assert [e.primitive for e in p.equations].count("exp") == 1


def test_aux_outputs_are_not_differentiated():
    def f(x):
        return fnp.sum(x ** 2), x * 3
    g, aux = fnx.grad(f, has_aux=True)(X)
    np.testing.assert_allclose(aux, 3 * X)
    np.testing.assert_allclose(g, 2 * X)


# ---------------------------------------------------------------------------- errors

def test_error_integer_input():
    def f(x, n):
        return x * n
    with pytest.raises(TypeError, match=r"grad requires real-valued inputs .*int64 for argument 1 \('n'\)"):
        fnx.grad(f, argnums=1)(2.0, np.int64(3))
    with pytest.raises(TypeError, match="int32"):
        fnx.grad(lambda n: n * 2.0)(np.arange(3, dtype=np.int32))


def test_error_non_scalar_output():
    with pytest.raises(TypeError, match=r"scalar output .*shape \(3,\)"):
        fnx.grad(lambda x: x * 2)(X)
    with pytest.raises(TypeError, match="scalar output .*tuple"):
        fnx.grad(lambda x: (fnp.sum(x), fnp.sum(x)))(X)
    with pytest.raises(TypeError, match="real-valued outputs"):
        fnx.grad(lambda x: lax.argmax(x, 0))(X)


def test_error_argnums():
    with pytest.raises(ValueError, match="argnums 2 is out of range: .* 2 positional arguments"):
        fnx.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int or a tuple"):
        fnx.grad(lambda x: x, argnums="0")(1.0)
    with pytest.raises(ValueError, match="repeated"):
        fnx.grad(lambda x, y: x * y, argnums=(0, 0))(1.0, 2.0)


def test_error_tangent_mismatch():
    with pytest.raises(ValueError, match=r"tangent leaf 0 has shape \(2,\), but the corresponding primal has shape \(3,\)"):
        fnx.jvp(f_scalar, (X,), (np.ones(2),))
    with pytest.raises(TypeError, match="dtype int32, but the corresponding primal has dtype float32"):
        fnx.jvp(f_scalar, (X.astype(np.float32),), (np.ones(3, np.int32),))
    with pytest.raises(TypeError, match="same pytree structure"):
        fnx.jvp(lambda a, b: a, (1.0, 2.0), ((1.0, 2.0), 1.0))
    with pytest.raises(TypeError, match="tuple or a list"):
        fnx.jvp(f_scalar, X, X)
    _, vjp_fn = fnx.vjp(lambda x: x * 2, X)
    with pytest.raises(ValueError, match=r"cotangent leaf 0 has shape \(\)"):
        vjp_fn(1.0)


def test_error_has_aux_not_a_pair():
    with pytest.raises(TypeError, match=r"has_aux=True requires .* pair \(output, aux\).*array of shape \(\)"):
        fnx.grad(lambda x: fnp.sum(x), has_aux=True)(X)
    with pytest.raises(TypeError, match="pair"):
        fnx.grad(lambda x: (fnp.sum(x), 1, 2), has_aux=True)(X)


def test_error_unsupported_leaf():
    with pytest.raises(TypeError, match="str"):
        fnx.grad(lambda x: x)("abc")


def test_tracer_leak_from_vjp():
    leaked = []

    def f(x):
        out, vjp_fn = fnx.vjp(fnp.sin, x)
        leaked.append(vjp_fn)
        return fnp.sum(out)
    fnx.jit(f)(X)
    with pytest.raises(fnx.TracerLeakError):
        leaked[0](X)


