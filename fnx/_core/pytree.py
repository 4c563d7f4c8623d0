"""Pytrees: nested tuples, lists, dicts, namedtuples, None and registered classes (the core's
own: `fnx.tree_util` re-exports the public names).

Semantics follow `jax.tree_util`: dict keys are sorted, None is an empty node,
anything not registered is a leaf.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Iterable, Sequence

__all__ = ["PyTreeDef", "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves",
           "tree_structure", "register_pytree_node", "treedef_is_leaf", "all_leaves",
           "tree_reduce", "tree_all", "tree_transpose", "register_dataclass", "Partial"]

# type -> (flatten(x) -> (children, aux), unflatten(aux, children) -> x)
_REGISTRY: dict[type, tuple[Callable, Callable]] = {}


def register_pytree_node(nodetype: type, flatten_func: Callable, unflatten_func: Callable) -> None:
    """Make `nodetype` a pytree node: `flatten_func(x) -> (children, aux_data)` and
    `unflatten_func(aux_data, children) -> x`, as in JAX."""
    if nodetype in _REGISTRY:
        raise ValueError(f"{nodetype.__name__} is already registered as a pytree node")
    _REGISTRY[nodetype] = (flatten_func, unflatten_func)


register_pytree_node(tuple, lambda t: (t, None), lambda _, c: tuple(c))
register_pytree_node(list, lambda l: (l, None), lambda _, c: list(c))
register_pytree_node(type(None), lambda n: ((), None), lambda _, c: None)


def _dict_flatten(d):
    try:
        keys = sorted(d)
    except TypeError:
        raise TypeError(f"pytree dict keys must be sortable, got {list(d)!r}") from None
    return [d[k] for k in keys], tuple(keys)


register_pytree_node(dict, _dict_flatten, lambda keys, c: dict(zip(keys, c, strict=True)))


def _node_kind(x):
    t = type(x)
    if t in _REGISTRY:
        return t, _REGISTRY[t]
    if isinstance(x, tuple) and hasattr(t, "_fields"):  # namedtuple
        return t, (lambda n: (tuple(n), None), lambda _, c, t=t: t(*c))
    return None, None


class PyTreeDef:
    """The structure of a pytree, without its leaves. Hashable and comparable."""

    __slots__ = ("node_type", "aux", "children", "num_leaves", "_key", "_hash")

    def __init__(self, node_type, aux, children: tuple["PyTreeDef", ...]):
        self.node_type = node_type  # None for a leaf
        self.aux = aux
        self.children = children
        self.num_leaves = 1 if node_type is None else sum(c.num_leaves for c in children)
        # Treedefs key jit's cache on every call: compare and hash in O(1) after building.
        self._key = (node_type, aux, tuple(c._key for c in children))
        self._hash = None

    def __eq__(self, other):
        return self is other or (isinstance(other, PyTreeDef) and self._key == other._key)

    def __hash__(self):
        if self._hash is None:
            self._hash = hash(self._key)
        return self._hash

    def __repr__(self):
        return f"PyTreeDef({self._str()})"

    def _str(self) -> str:
        if self.node_type is None:
            return "*"
        inner = ", ".join(c._str() for c in self.children)
        if self.node_type is tuple:
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        if self.node_type is list:
            return f"[{inner}]"
        if self.node_type is dict:
            items = zip(self.aux, self.children, strict=True)
            return "{" + ", ".join(f"{k!r}: {c._str()}" for k, c in items) + "}"
        if self.node_type is type(None):
            return "None"
        return f"{self.node_type.__name__}({inner})"

    def unflatten(self, leaves: Iterable) -> Any:
        return tree_unflatten(self, leaves)


_LEAF = PyTreeDef(None, None, ())


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    leaves: list = []
    return leaves, _flatten(tree, is_leaf, leaves)


def _flatten(x, is_leaf, leaves: list) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    node_type, funcs = _node_kind(x)
    if node_type is None:
        leaves.append(x)
        return _LEAF
    children, aux = funcs[0](x)
    return PyTreeDef(node_type, aux, tuple(_flatten(c, is_leaf, leaves) for c in children))


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable) -> Any:
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"tree_unflatten: {treedef} has {treedef.num_leaves} leaves, "
                         f"got {len(leaves)}")
    it = iter(leaves)
    return _unflatten(treedef, it)


def _unflatten(treedef: PyTreeDef, it) -> Any:
    if treedef.node_type is None:
        return next(it)
    children = [_unflatten(c, it) for c in treedef.children]
    t = treedef.node_type
    if t in _REGISTRY:
        return _REGISTRY[t][1](treedef.aux, children)
    return t(*children)  # namedtuple


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    return tree_flatten(tree, is_leaf)[1]


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    return treedef.node_type is None


def all_leaves(iterable: Iterable) -> bool:
    return all(treedef_is_leaf(tree_structure(x)) for x in iterable)


def tree_map(f: Callable, tree: Any, *rest: Any, is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Apply `f` leaf-wise; `rest` trees must have `tree`'s structure (or extend it)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [flatten_up_to(treedef, r, "tree_map") for r in rest]
    return treedef.unflatten(f(*xs) for xs in zip(leaves, *others, strict=True))


def flatten_up_to(treedef: PyTreeDef, tree: Any, what: str) -> list:
    """Leaves of `tree` cut at `treedef`'s leaves (`tree` may be deeper there)."""
    out: list = []
    _flatten_up_to(treedef, tree, out, what, "")
    return out


def _flatten_up_to(treedef: PyTreeDef, x, out: list, what: str, path: str) -> None:
    if treedef.node_type is None:
        out.append(x)
        return
    node_type, funcs = _node_kind(x)
    if node_type is not treedef.node_type:
        raise ValueError(f"{what}: structure mismatch at {path or 'the root'}: expected "
                         f"{treedef._str()}, got {type(x).__name__} {x!r:.60}")
    children, aux = funcs[0](x)
    if aux != treedef.aux or len(children) != len(treedef.children):
        raise ValueError(f"{what}: structure mismatch at {path or 'the root'}: expected "
                         f"{treedef._str()}, got {x!r:.60}")
    keys = aux if node_type is dict else range(len(children))
    for k, c, sub in zip(keys, children, treedef.children, strict=True):
        _flatten_up_to(sub, c, out, what, f"{path}[{k!r}]")


class _StaticPartial:
    """A `functools.partial` kept whole (its bound arguments are not leaves) when it is the
    function of a `Partial` (functools.partial would otherwise merge the two)."""

    __slots__ = ("fn",)

    def __init__(self, fn: functools.partial):
        self.fn = fn

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __eq__(self, other):
        return isinstance(other, _StaticPartial) and self.fn == other.fn

    def __hash__(self):
        return hash(self.fn)

    def __repr__(self):
        return repr(self.fn)


class Partial(functools.partial):
    """A `functools.partial` that is a pytree (JAX's `jax.tree_util.Partial`): the bound
    positional and keyword arguments are its children, the function is static. So a
    partially applied function can be passed into and returned from transformed
    functions (`fnx.vjp` returns its pullback as one: its leaves are the residuals)::

        f = Partial(fnp.add, np.ones(3))
        fnx.jit(lambda f, x: f(x))(f, np.ones(3))
    """

    def __new__(cls, func: Callable, *args: Any, **kwargs: Any) -> "Partial":
        if isinstance(func, functools.partial) and not isinstance(func, Partial):
            func = _StaticPartial(func)  # its arguments are not leaves of this pytree
        return super().__new__(cls, func, *args, **kwargs)


register_pytree_node(Partial, lambda p: ((p.args, p.keywords), p.func),
                     lambda func, c: Partial(func, *c[0], **c[1]))


_NO_INITIALIZER = object()


def tree_reduce(function: Callable[[Any, Any], Any], tree: Any, initializer: Any = _NO_INITIALIZER,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """`functools.reduce(function, leaves[, initializer])` over the leaves of `tree` (JAX's
    `tree_util.tree_reduce`): a `TypeError` for no leaves and no initializer."""
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INITIALIZER:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """Whether every leaf of `tree` is true (`all(leaves)`; True for no leaves)."""
    return all(tree_leaves(tree, is_leaf))


def _compose(outer: PyTreeDef, inner: PyTreeDef) -> PyTreeDef:
    """`outer` with `inner` in place of each of its leaves."""
    if outer.node_type is None:
        return inner
    return PyTreeDef(outer.node_type, outer.aux, tuple(_compose(c, inner) for c in outer.children))


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
                   pytree_to_transpose: Any) -> Any:
    """An `outer` tree of `inner` trees as an `inner` tree of `outer` trees (JAX's
    `tree_util.tree_transpose`); `inner_treedef=None` takes it from the first subtree."""
    if inner_treedef is None:
        first = flatten_up_to(outer_treedef, pytree_to_transpose, "tree_transpose")[0]
        inner_treedef = tree_structure(first)
    leaves, treedef = tree_flatten(pytree_to_transpose)
    expected = _compose(outer_treedef, inner_treedef)
    if treedef != expected:
        raise TypeError(f"tree_transpose: structure mismatch: got {treedef}, expected {expected} "
                        f"(outer {outer_treedef}, inner {inner_treedef})")
    n = inner_treedef.num_leaves
    groups = [leaves[i * n:(i + 1) * n] for i in range(outer_treedef.num_leaves)]
    return tree_unflatten(inner_treedef, [tree_unflatten(outer_treedef, list(column))
                                          for column in zip(*groups, strict=True)] if groups else
                          [tree_unflatten(outer_treedef, [])] * n)


def register_dataclass(nodetype: type, data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None,
                       drop_fields: Sequence[str] = ()) -> type:
    """Make a class a pytree node (JAX's `tree_util.register_dataclass`): `data_fields` are
    its children, `meta_fields` static (part of the structure, hashable). Without both, the
    class must be a dataclass: fields with `metadata=dict(static=True)` are meta, the other
    `init` fields data. Returns `nodetype`, so it also works as a class decorator."""
    if (data_fields is None) != (meta_fields is None):
        raise TypeError("register_dataclass: give both data_fields and meta_fields, or neither "
                        "(for a dataclass)")
    if data_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(f"register_dataclass: {nodetype.__name__} is not a dataclass; pass "
                            "data_fields and meta_fields")
        fields = [f for f in dataclasses.fields(nodetype) if f.init and f.name not in drop_fields]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
    data_fields, meta_fields = tuple(data_fields), tuple(meta_fields)
    if dataclasses.is_dataclass(nodetype):
        init = {f.name for f in dataclasses.fields(nodetype) if f.init} - set(drop_fields)
        if init != set(data_fields) | set(meta_fields):
            raise ValueError(f"register_dataclass: data_fields {data_fields} and meta_fields "
                             f"{meta_fields} must be the init fields of {nodetype.__name__} "
                             f"{tuple(sorted(init))} (less drop_fields)")

    def flatten(x):
        return ([getattr(x, n) for n in data_fields],
                tuple(getattr(x, n) for n in meta_fields))

    def unflatten(meta, children):
        return nodetype(**dict(zip(data_fields, children, strict=True)),
                        **dict(zip(meta_fields, meta, strict=True)))

    register_pytree_node(nodetype, flatten, unflatten)
    return nodetype
