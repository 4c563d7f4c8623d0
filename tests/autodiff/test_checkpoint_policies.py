"""checkpoint(policy=...), checkpoint_name, print_saved_residuals, static_argnums."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx import lax
from fnx.ad_checkpoint import checkpoint_name, print_saved_residuals, saved_residuals

F32 = np.float32
P = fnx.checkpoint_policies
rng = np.random.default_rng(0)
W1 = rng.standard_normal((4, 4)).astype(F32)
W2 = rng.standard_normal((4, 4)).astype(F32)
X = rng.standard_normal((2, 4)).astype(F32)


def mlp(w1, w2, x):
    h = fnp.sin(x @ w1)
    h = checkpoint_name(h, "hidden")
    return fnp.sum(fnp.tanh(h @ w2))


def origins(f, *args):
    return [where.split(" from ")[0] for _, where in saved_residuals(f, *args)]


def test_policies_change_what_is_saved():
    remat = lambda policy: fnx.checkpoint(mlp, policy=policy)
    # no policy / nothing_saveable: only the checkpoint's inputs
    for f in (fnx.checkpoint(mlp), remat(P.nothing_saveable)):
        assert origins(f, W1, W2, X) == ["from the argument w1", "from the argument w2",
                                         "from the argument x"]
    # dots: the two matmul outputs are saved, the elementwise values (cos, tanh) are not
    dots = origins(remat(P.dots_saveable), W1, W2, X)
    assert dots.count("output of dot_general") == 2
    assert not any(o.startswith("output of") and "dot_general" not in o for o in dots)
    assert origins(remat(P.checkpoint_dots), W1, W2, X) == dots
    assert origins(remat(P.dots_with_no_batch_dims_saveable), W1, W2, X) == dots
    # names
    assert "named 'hidden'" in origins(remat(P.save_only_these_names("hidden")), W1, W2, X)
    assert "named 'hidden'" not in origins(remat(P.save_only_these_names("other")), W1, W2, X)
    assert "named 'hidden'" in origins(remat(P.save_any_names_but_these("other")), W1, W2, X)
    assert "named 'hidden'" not in origins(remat(P.save_any_names_but_these("hidden")),
                                           W1, W2, X)
    both = origins(remat(P.save_from_both_policies(P.dots_saveable,
                                                   P.save_only_these_names("hidden"))),
                   W1, W2, X)
    assert both.count("output of dot_general") == 2 and "named 'hidden'" in both
    # everything_saveable: what differentiating without checkpoint saves
    everything = origins(remat(P.everything_saveable), W1, W2, X)
    assert sorted(everything) == sorted(origins(mlp, W1, W2, X))
    assert len(everything) > len(dots)


@pytest.mark.parametrize("name", ["nothing_saveable", "everything_saveable", "dots_saveable",
                                  "dots_with_no_batch_dims_saveable"])
def test_policies_give_the_same_gradients(name):
    f = fnx.checkpoint(mlp, policy=getattr(P, name))
    want = fnx.grad(mlp, argnums=(0, 1, 2))(W1, W2, X)
    for g in (fnx.grad(f, argnums=(0, 1, 2)), fnx.jit(fnx.grad(f, argnums=(0, 1, 2)))):
        for a, b in zip(g(W1, W2, X), want):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_dots_saveable_recomputes_elementwise_in_the_backward_pass():
    """In the gradient program, with dots_saveable the backward checkpoint recomputes
    sin/cos/tanh but no matmul; with nothing_saveable it recomputes the matmuls too."""
    def recomputed(policy):
        f = fnx.checkpoint(mlp, policy=policy)
        prog = fnx.make_ir(fnx.grad(f, argnums=(0, 1, 2)))(W1, W2, X)
        cps = [e for e in prog.equations if e.primitive == "checkpoint"]
        assert len(cps) >= 2  # the forward one and the recomputation
        return [e.primitive for e in cps[-1].params["program"].equations]
    dots = recomputed(P.dots_saveable)
    assert {"sin", "cos", "tanh"} <= set(dots) and "dot_general" not in dots
    nothing = recomputed(P.nothing_saveable)
    assert {"sin", "cos", "tanh", "dot_general"} <= set(nothing)
    assert set(recomputed(P.save_only_these_names("hidden"))) & {"sin", "dot_general"} == {
        "dot_general"}  # `hidden` = sin(...) is saved; the matmul before tanh is redone


def test_checkpoint_name_is_transparent():
    x = np.linspace(-1, 1, 5).astype(F32)
    f = lambda x: fnp.sum(checkpoint_name(fnp.sin(x), "s") * x)
    want = np.cos(x) * x + np.sin(x)
    np.testing.assert_allclose(f(x), np.sum(np.sin(x) * x), rtol=1e-6)
    np.testing.assert_allclose(fnx.jit(f)(x), np.sum(np.sin(x) * x), rtol=1e-6)
    np.testing.assert_allclose(fnx.grad(f)(x), want, rtol=1e-6)
    np.testing.assert_allclose(fnx.jit(fnx.grad(f))(x), want, rtol=1e-6)
    np.testing.assert_allclose(fnx.jit(f, backend="interpreter")(x), f(x), rtol=1e-6)
    np.testing.assert_allclose(fnx.vmap(fnx.grad(f))(np.stack([x, x])), [want, want],
                               rtol=1e-6)
    np.testing.assert_allclose(fnx.jvp(f, (x,), (np.ones(5, F32),))[1], want.sum(), rtol=1e-5)
    # it appears in the program as `name[name=s]`, and pytrees are named leaf by leaf
    assert "name[name=\"s\"]" in str(fnx.make_ir(f)(x))
    out = checkpoint_name({"a": x, "b": (x,)}, "t")
    assert set(out) == {"a", "b"} and np.array_equal(out["b"][0], x)
    with pytest.raises(TypeError, match="name must be a str"):
        checkpoint_name(x, 3)


def test_print_saved_residuals(capsys):
    print_saved_residuals(fnx.checkpoint(mlp, policy=P.save_only_these_names("hidden")),
                          W1, W2, X)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["f32[4,4] from the argument w1", "f32[4,4] from the argument w2",
                         "f32[2,4] from the argument x"]
    assert len(lines) == 4 and lines[3].startswith("f32[2,4] named 'hidden' from ")
    assert "test_checkpoint_policies.py:" in lines[3]  # the user's source line
    print_saved_residuals(lambda p: fnp.sum(fnp.sin(p["w"]) * p["v"][0]),
                          {"w": X, "v": (X,)})
    out = capsys.readouterr().out
    assert "from the argument p['v'][0]" in out and "output of cos" in out


def test_checkpoint_static_argnums_and_prevent_cse():
    calls = []

    def f(x, n):
        calls.append(n)
        for _ in range(n):  # Python control flow on the static argument
            x = fnp.sin(x)
        return x
    x = np.float32(0.5)
    g = fnx.checkpoint(f, static_argnums=(1,), prevent_cse=False)
    want = np.cos(np.sin(x)) * np.cos(x)
    assert np.isclose(fnx.grad(g)(x, 2), want, rtol=1e-6)
    assert np.isclose(fnx.jit(fnx.grad(g), static_argnums=1)(x, 2), want, rtol=1e-6)
    prog = fnx.make_ir(lambda x: g(x, 3))(x)
    (eq,) = prog.equations
    assert eq.params["prevent_cse"] is False
    assert [e.primitive for e in eq.params["program"].equations] == ["sin"] * 3
    with pytest.raises(ValueError, match="static_argnums"):
        fnx.make_ir(lambda x: fnx.checkpoint(f, static_argnums=(5,))(x, 1))(x)
    with pytest.raises(TypeError, match="policy"):
        fnx.checkpoint(f, policy="dots")
