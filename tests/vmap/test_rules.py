"""Every primitive's batch rule against a Python loop over examples.

For each primitive, hypothesis draws operand shapes/params (tests/vmap/_cases.py), a batch
size, and for every operand a batch axis (any position, negative too) or None (unbatched),
then checks `vmap(f)` eagerly, under `jit` and as verified IR against stacking `f` per example.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx_ir

from ._cases import CASES
from ._util import assert_close, check_vmap


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=int(os.environ.get("FNX_VMAP_EXAMPLES", 12)))
@given(data=st.data())
def test_batch_rule_matches_loop(name, data):
    f, gen = data.draw(CASES[name], label="case")
    _check_against_loop(f, gen, data)


@pytest.mark.parametrize("name", ["add", "gather", "scatter_add", "cumsum", "scan"])
@settings(max_examples=4)
@given(data=st.data())
def test_batching_through_a_jit_call_matches_loop(name, data):
    """vmap(jit(f)): the `jit` call equation is batched into a call of the batched program."""
    f, gen = data.draw(CASES[name], label="case")
    _check_against_loop(fnx.jit(f), gen, data)


def _check_against_loop(f, gen, data):
    """Draws a batch and in/out axes for the case `(f, gen)` and checks vmap(f)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    size = data.draw(st.integers(1, 3), label="batch size")
    examples = [gen(rng) for _ in range(size)]
    ranks = [np.ndim(a) for a in examples[0]]
    in_axes = [data.draw(st.one_of(st.none(), st.integers(-(r + 1), r)), label=f"in_axes[{i}]")
               for i, r in enumerate(ranks)]
    if all(ax is None for ax in in_axes):
        k = data.draw(st.integers(0, len(ranks) - 1), label="forced batched operand")
        in_axes[k] = 0
    args = [ex0 if ax is None else np.stack([ex[i] for ex in examples], axis=ax)
            for i, (ex0, ax) in enumerate(zip(examples[0], in_axes))]
    out = f(*examples[0])
    out_rank = np.ndim(out[0] if isinstance(out, list) else out) + 1
    out_axes = data.draw(st.integers(-out_rank, out_rank - 1), label="out_axes")
    check_vmap(f, args, in_axes, out_axes)


NESTED = ["add", "select", "clamp", "broadcast_in_dim", "reshape", "pad", "concatenate",
          "reduce_max", "argmin", "cumsum", "dot_general", "dynamic_slice",
          "dynamic_update_slice", "gather", "scatter_add", "scatter", "sort", "transpose",
          "expand_dims", "cond", "while", "scan"]


@pytest.mark.parametrize("name", NESTED)
@settings(max_examples=int(os.environ.get("FNX_VMAP_EXAMPLES", 12)) // 2 + 1)
@given(data=st.data())
def test_nested_vmap_matches_double_loop(name, data):
    """vmap(vmap(f, inner_axes), outer_axes): rules see operands that are already batched."""
    f, gen = data.draw(CASES[name], label="case")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    n1, n2 = data.draw(st.integers(1, 3), label="inner size"), data.draw(st.integers(1, 3))
    ex = [[gen(rng) for _ in range(n1)] for _ in range(n2)]
    ranks = [np.ndim(a) for a in ex[0][0]]
    k = len(ranks)
    inner = [data.draw(st.one_of(st.none(), st.integers(0, r))) for r in ranks]
    if all(a is None for a in inner):
        inner[data.draw(st.integers(0, k - 1))] = 0
    outer = [data.draw(st.one_of(st.none(), st.integers(0, r + (a is not None))))
             for r, a in zip(ranks, inner)]
    if all(b is None for b in outer):
        outer[data.draw(st.integers(0, k - 1))] = 0

    def value(i, b2, b1):
        return ex[b2 if outer[i] is not None else 0][b1 if inner[i] is not None else 0][i]

    def inner_arg(i, b2):
        if inner[i] is None:
            return value(i, b2, 0)
        return np.stack([value(i, b2, b1) for b1 in range(n1)], inner[i])

    args = [inner_arg(i, 0) if outer[i] is None else
            np.stack([inner_arg(i, b2) for b2 in range(n2)], outer[i]) for i in range(k)]
    rows = []
    for b2 in range(n2):
        cols = [f(*[value(i, b2, b1) for i in range(k)]) for b1 in range(n1)]
        rows.append(tree_map_stack(cols))
    want = tree_map_stack(rows)
    vf = fnx.vmap(fnx.vmap(f, in_axes=tuple(inner)), in_axes=tuple(outer))
    assert_close(vf(*args), want)
    assert_close(fnx.jit(vf, backend="interpreter")(*args), want)


def tree_map_stack(outs):
    if isinstance(outs[0], list):
        return [np.stack([np.asarray(o[j]) for o in outs]) for j in range(len(outs[0]))]
    return np.stack([np.asarray(o) for o in outs])


# Compared with float64 references at float64 tolerances: run with the x64 switch on.
pytestmark = pytest.mark.x64
