"""`fnx.tree`: JAX's `jax.tree` names for the pytree functions of `fnx.tree_util`.

    fnx.tree.map(f, tree, *rest, is_leaf=None)       fnx.tree.leaves(tree, is_leaf=None)
    fnx.tree.structure(tree, is_leaf=None)           fnx.tree.flatten(tree, is_leaf=None)
    fnx.tree.unflatten(treedef, leaves)              fnx.tree.reduce(f, tree[, init], is_leaf=None)
    fnx.tree.all(tree, *, is_leaf=None)              fnx.tree.transpose(outer, inner, tree)
"""
from .tree_util import (tree_all as all, tree_flatten as flatten, tree_leaves as leaves,  # noqa: A004
                        tree_map as map, tree_reduce as reduce, tree_structure as structure,
                        tree_transpose as transpose, tree_unflatten as unflatten)

__all__ = ["map", "leaves", "structure", "flatten", "unflatten", "reduce", "all", "transpose"]
