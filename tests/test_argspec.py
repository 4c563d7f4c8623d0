"""Argument handling (fnx/_core/argspec.py): every transformation's leaf check names the
path to the offending leaf in the user's arguments."""
import numpy as np
import pytest

import fnx

BAD = {"w": [np.ones(2, np.float32), "oops"]}


@pytest.mark.parametrize("call, message", [
    (lambda: fnx.jit(lambda x: x)(BAD), r"jit\(<lambda>\): argument 'x'\['w'\]\[1\]: str is not"),
    (lambda: fnx.grad(lambda x: 1.0)(BAD), r"grad: primals\[0\]\['w'\]\[1\] is a str"),
    (lambda: fnx.jvp(lambda x: x, (BAD,), (BAD,)), r"jvp: primals\[0\]\['w'\]\[1\] is a str"),
    (lambda: fnx.vmap(lambda x: x)(BAD), r"vmap: argument args\[0\]\['w'\]\[1\] is a str"),
    (lambda: fnx.lax.cond(True, lambda x: x, lambda x: x, BAD),
     r"cond: operands\[0\]\['w'\]\[1\] is a str, not an array"),
])
def test_leaf_errors_name_the_path(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize("transform", [fnx.grad, fnx.jacfwd, fnx.jacrev, fnx.value_and_grad])
def test_a_transform_of_a_non_callable_says_so(transform):
    with pytest.raises(TypeError, match="must be callable, got int"):
        transform(3)
