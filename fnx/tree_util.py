"""Pytrees, as `jax.tree_util`: the public face of `fnx._core.pytree` (the core needs them)."""
from ._core.pytree import (PyTreeDef, Partial, all_leaves, flatten_up_to,  # noqa: F401
                           register_dataclass, register_pytree_node, tree_all, tree_flatten,
                           tree_leaves, tree_map, tree_reduce, tree_structure, tree_transpose,
                           tree_unflatten, treedef_is_leaf)
from ._core.pytree import __all__  # noqa: F401
