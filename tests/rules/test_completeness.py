"""One completeness check, derived from the primitive table: every row has its rules, and
every primitive is exercised by the rule suites (impl, vmap, gradients).

What a suite may skip is read from the table's traits, not kept by hand: primitives with
sub-programs are checked through every transform in tests/control_flow, tests/test_call.py
and tests/autodiff/test_custom.py; collectives (no eager meaning: an unbound axis is an
error) in tests/vmap/test_named_axes.py; primitives whose derivative is zero by
`ad.zero_jvp` by `tests/autodiff/test_rules.py::test_zero_tangent_primitives`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

import fnx.lax
import fnx_ir
from fnx._core import ad
from fnx._core.rules import (NOT_DIFFERENTIABLE, RULES, IncompleteRulesError, check_complete,
                             define)

sys.path.insert(0, str(Path(__file__).parents[1]))  # (the suites' case tables, by package)
from autodiff.test_rules import CASES as GRADIENT_CASES  # noqa: E402
from vmap._cases import CASES as VMAP_CASES, TESTED_ELSEWHERE  # noqa: E402

from test_impl import CASES as IMPL_CASES  # noqa: E402

TABLE = sorted(fnx_ir.PRIMITIVES)


def _transformed_elsewhere(p: fnx_ir.Primitive) -> bool:
    """Whether the impl and gradient suites leave `p` to its own tests (see the docstring)."""
    return p.has_subprograms or p.family == "collective"


@pytest.mark.parametrize("name", TABLE)
def test_every_primitive_has_its_rules(name):
    p, r = fnx_ir.PRIMITIVES[name], RULES.get(name)
    assert r is not None, f"{name}: no rules (define them in its fnx/_rules family file)"
    assert r.impl is not None and r.batch is not None
    assert r.jvp is not None or p.family == "collective", \
        f"{name}: only collectives (pmax, pmin: as in JAX) are NOT_DIFFERENTIABLE"
    assert not p.linear_in or r.transpose is not None, f"{name}: linear without a transpose"
    assert r.multiple_results == p.multiple_results
    if r.binder is not None:  # the binder registered with the rules is the public function
        assert getattr(fnx.lax, r.binder.__name__) is r.binder


@pytest.mark.parametrize("name", TABLE)
def test_traits_fit_the_row(name):
    p = fnx_ir.PRIMITIVES[name]
    if p.linear_in != fnx_ir.primitives.ALL_OPERANDS:
        assert all(0 <= i < (p.nin if p.nin is not None else i + 1) for i in p.linear_in)
    assert not p.transcendental or (p.family == "elementwise" and not p.moves_bits)
    assert p.has_subprograms <= p.multiple_results  # (sub-programs return lists of values)


@pytest.mark.parametrize("name", TABLE)
def test_every_primitive_is_exercised(name):
    p = fnx_ir.PRIMITIVES[name]
    if not _transformed_elsewhere(p):
        assert name in {c.prim for c in IMPL_CASES}, "add cases to tests/rules/test_impl.py"
        zero = getattr(RULES[name].jvp, "zero_tangent", False)
        assert zero or name in GRADIENT_CASES, "add a case to tests/autodiff/test_rules.py"
    assert name in VMAP_CASES or name in TESTED_ELSEWHERE or p.family == "collective", \
        "add a case to tests/vmap/_cases.py"


@pytest.fixture
def scratch_primitives():
    """Table rows added by a test, removed after it."""
    names = []

    def add(name, **traits):
        fnx_ir.register(name, "elementwise", (), lambda prim, ins: ins[0], 1, **traits)
        names.append(name)
        return name
    yield add
    for n in names:
        fnx_ir.PRIMITIVES.pop(n)
        RULES.pop(n, None)


def test_registration_refuses_an_incomplete_primitive(scratch_primitives):
    name = scratch_primitives("scratch_double", linear_in=(0,))
    with pytest.raises(IncompleteRulesError, match="scratch_double: missing jvp rule.*"
                                                   "NOT_DIFFERENTIABLE"):
        define(name, impl=lambda x: 2 * x, jvp=None, batch=lambda a, d: (a[0], d[0]),
               transpose=lambda ct, x: [ct])
    with pytest.raises(IncompleteRulesError, match=r"scratch_double: missing transpose rule "
                                                   r"\(the table says it is linear in \(0,\)\)"):
        define(name, impl=lambda x: 2 * x, jvp=ad.linear_jvp(name),
               batch=lambda a, d: (a[0], d[0]))
    with pytest.raises(IncompleteRulesError, match=r"rules.*\['scratch_double'\]"):
        check_complete()
    define(name, impl=lambda x: 2 * x, jvp=NOT_DIFFERENTIABLE, batch=lambda a, d: (a[0], d[0]),
           transpose=lambda ct, x: [ct])
    assert RULES[name].jvp is None
    check_complete()
