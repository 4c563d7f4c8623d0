"""fnx.tree_util: flatten/unflatten round trips, leaf order, registered classes, tree_map
over several trees, structure errors."""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

from fnx import tree_util as tu

Point = namedtuple("Point", "x y")


class Box:
    """A registered pytree node with static aux data."""

    def __init__(self, a, b, name):
        self.a, self.b, self.name = a, b, name

    def __eq__(self, other):
        return isinstance(other, Box) and (self.a, self.b, self.name) == (other.a, other.b, other.name)


tu.register_pytree_node(Box, lambda bx: ((bx.a, bx.b), bx.name),
                        lambda name, ch: Box(ch[0], ch[1], name))

TREES = [
    1, None, (), [], {}, (1,), [1, 2], (1, (2, 3), [4, [5]]), {"b": 1, "a": 2},
    {"z": [1, {"y": 2, "x": (3, None)}], "a": None}, Point(1, (2, 3)), [Point(x=[1], y=None)],
    Box(1, [2, 3], "box"), (Box(Point(1, 2), None, "n"), {"k": Box(4, 5, "m")}),
    np.arange(3), [np.ones(2), (np.zeros(1), 2.5)],
]


@pytest.mark.parametrize("tree", TREES, ids=[repr(t)[:30] for t in TREES])
def test_round_trip(tree):
    leaves, treedef = tu.tree_flatten(tree)
    back = tu.tree_unflatten(treedef, leaves)
    assert type(back) is type(tree)
    assert _equal(back, tree)
    assert treedef.num_leaves == len(leaves)
    assert tu.tree_structure(tree) == treedef
    assert hash(tu.tree_structure(tree)) == hash(treedef)
    assert tu.tree_leaves(tree) == leaves if not any(isinstance(x, np.ndarray) for x in leaves) else True
    assert treedef.unflatten(leaves) is not None or tree is None


def _equal(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, Box):
        return isinstance(b, Box) and a.name == b.name and _equal(a.a, b.a) and _equal(a.b, b.b)
    return a == b


def test_leaf_order_dict_keys_sorted_none_is_empty():
    tree = {"b": [3, 4], "a": (1, None, 2), "c": None}
    assert tu.tree_leaves(tree) == [1, 2, 3, 4]
    assert tu.tree_leaves([None, None]) == []
    assert tu.tree_leaves(None) == []
    assert tu.tree_structure(None).num_leaves == 0
    assert tu.tree_leaves(Point(y=1, x=2)) == [2, 1]
    assert tu.tree_leaves(Box(1, 2, "n")) == [1, 2]


def test_dict_insertion_order_does_not_matter():
    a = tu.tree_structure({"x": 1, "y": 2})
    b = tu.tree_structure({"y": 2, "x": 1})
    assert a == b
    out = tu.tree_unflatten(a, [10, 20])
    assert out == {"x": 10, "y": 20}


def test_structures_differ():
    s = tu.tree_structure
    assert s((1, 2)) != s([1, 2])
    assert s((1, 2)) != s((1, (2,)))
    assert s({"a": 1}) != s({"b": 1})
    assert s(Point(1, 2)) != s((1, 2))
    assert s(Box(1, 2, "p")) != s(Box(1, 2, "q"))  # aux data is part of the structure
    assert s(None) != s(())
    assert tu.treedef_is_leaf(s(3)) and not tu.treedef_is_leaf(s((3,)))
    assert tu.all_leaves([1, np.ones(2), "x"]) and not tu.all_leaves([1, (2,)])


def test_is_leaf():
    tree = {"a": (1, 2), "b": [3, (4, 5)]}
    leaves = tu.tree_leaves(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), 3, (4, 5)]
    out = tu.tree_map(lambda t: sum(t) if isinstance(t, tuple) else t, tree,
                      is_leaf=lambda x: isinstance(x, tuple))
    assert out == {"a": 3, "b": [3, 9]}


def test_tree_map_several_trees():
    a = {"x": (1, 2), "y": [3]}
    b = {"x": (10, 20), "y": [30]}
    c = {"y": [300], "x": (100, 200)}
    assert tu.tree_map(lambda p, q, r: p + q + r, a, b, c) == {"x": (111, 222), "y": [333]}
    assert tu.tree_map(lambda v: v * 2, Point(1, [2])) == Point(2, [4])
    out = tu.tree_map(lambda v, w: (v, w), Box(1, 2, "n"), Box(3, 4, "n"))
    assert out == Box((1, 3), (2, 4), "n")
    assert tu.tree_map(lambda v: v, None) is None
    # a second tree may be deeper where the first has leaves
    assert tu.tree_map(lambda v, w: (v, w), [1, 2], [(3, 4), {"k": 5}]) == [(1, (3, 4)), (2, {"k": 5})]


def test_tree_map_structure_errors():
    with pytest.raises(ValueError, match="structure"):
        tu.tree_map(lambda a, b: a, (1, 2), [1, 2])
    with pytest.raises(ValueError):
        tu.tree_map(lambda a, b: a, (1, 2), (1, 2, 3))
    with pytest.raises(ValueError):
        tu.tree_map(lambda a, b: a, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError):
        tu.tree_map(lambda a, b: a, Box(1, 2, "p"), Box(1, 2, "q"))
    with pytest.raises(ValueError):
        tu.tree_map(lambda a, b: a, (1, None), (1, 2))


def test_unflatten_wrong_leaf_count_and_registration_errors():
    treedef = tu.tree_structure((1, [2, 3]))
    with pytest.raises(ValueError, match="3 leaves"):
        tu.tree_unflatten(treedef, [1, 2])
    with pytest.raises(ValueError):
        tu.register_pytree_node(Box, lambda b: ((), None), lambda a, c: None)
    with pytest.raises(TypeError, match="sortable"):
        tu.tree_flatten({1: "a", "b": 2})


def test_unregistered_objects_are_leaves_and_repr():
    class Thing:
        pass
    t = Thing()
    assert tu.tree_leaves([t, {"a": t}]) == [t, t]
    r = repr(tu.tree_structure({"a": (1, None), "b": [2]}))
    assert "PyTreeDef" in r and "'a'" in r and "None" in r
