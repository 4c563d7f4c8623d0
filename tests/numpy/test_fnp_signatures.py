"""The public functions of `fnx.numpy`, `fnx.numpy.linalg` and `fnx.nn` are real definitions:
each has a docstring, type hints that resolve, named parameters (no `(*xs)`), and keeps JAX's
parameter names where it has them (`help(fnp.sin)`, an IDE and grep find them)."""
import inspect
import types
import typing

import pytest

import fnx.nn as nn
import fnx.numpy as fnp
import fnx.numpy.linalg as fnp_linalg
from jax_signatures import JAX_PARAMETERS

MODULES = (fnp, fnp_linalg, nn)

# Variadic as in JAX and numpy: the arrays (or shapes) themselves are the positional arguments.
VARIADIC = {"atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays", "broadcast_shapes",
            "einsum", "ix_", "meshgrid", "result_type"}
# Options passed through to a callback or a pad mode, as numpy's `**kwargs`.
VAR_KEYWORD = {"fromfunction", "pad"}
# numpy's own dtype helpers, re-exported unchanged.
NUMPY_OWN = {"issubdtype", "iterable"}


def _public_functions():
    for mod in MODULES:
        for name in sorted(dir(mod)):
            f = getattr(mod, name)
            if not name.startswith("_") and isinstance(f, types.FunctionType):
                yield f"{mod.__name__}.{name}", name, f


PUBLIC = list(_public_functions())


def _parameters(f) -> str:
    """`(x1, x2, /)`: the parameter names and kinds, without defaults or hints."""
    sig = inspect.signature(f)
    params = [p.replace(annotation=p.empty, default=p.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


def test_the_public_surface_is_large():
    assert len(PUBLIC) > 300  # (a broken discovery would make every test below vacuous)


@pytest.mark.parametrize("qualname,name,f", PUBLIC, ids=[q for q, _, _ in PUBLIC])
def test_public_function_is_a_documented_definition(qualname, name, f):
    if name in NUMPY_OWN:
        assert f.__module__ == "numpy"
        return
    assert f.__module__.startswith(("fnx.numpy", "fnx.nn")), f"{qualname}: {f.__module__}"
    assert (f.__doc__ or "").strip(), f"{qualname} has no docstring"
    params = inspect.signature(f).parameters.values()
    if name not in VARIADIC:
        assert not any(p.kind is p.VAR_POSITIONAL for p in params), f"{qualname} takes *args"
    if name not in VAR_KEYWORD:
        assert not any(p.kind is p.VAR_KEYWORD for p in params), f"{qualname} takes **kwargs"


@pytest.mark.parametrize("qualname,name,f", PUBLIC, ids=[q for q, _, _ in PUBLIC])
def test_public_function_has_type_hints(qualname, name, f):
    if name in NUMPY_OWN:
        return
    hints = typing.get_type_hints(f)  # every name in the hints resolves
    sig = inspect.signature(f)
    assert "return" in hints, f"{qualname} has no return type"
    unhinted = [p.name for p in sig.parameters.values()
                if p.name not in hints and not p.name.startswith("_")]
    assert not unhinted, f"{qualname}: parameters without a type: {unhinted}"


@pytest.mark.parametrize("qualname", sorted(JAX_PARAMETERS))
def test_parameters_are_jax_s(qualname):
    f = dict((q, f) for q, _, f in PUBLIC).get(qualname)
    assert f is not None, f"{qualname} is no longer a public function"
    assert _parameters(f) == JAX_PARAMETERS[qualname]


def test_help_shows_the_signature_and_the_difference_from_jax():
    text = inspect.signature(fnp.sin).__str__() + fnp.sin.__doc__
    assert text.startswith("(x: ")
    assert "float32" in text
