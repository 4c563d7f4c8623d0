"""`fnx/numpy` is a stack of modules that import only downward: no import circle, and no
function-local import of a sibling module (the old way of dodging one)."""
import ast
from pathlib import Path

import fnx.numpy

PACKAGE = Path(fnx.numpy.__file__).parent
# Bottom to top: each module may import only the ones before it.
ORDER = ["_base", "_elementwise", "_logical", "_reductions", "_take", "_shape", "_creation", "_dtypes",
         "_ndarray", "_indexing", "_sorting", "_linalg", "_misc", "linalg", "_methods",
         "__init__"]


def _sibling_imports(tree: ast.AST):
    """(node, sibling module name) for every `from .x import ...` / `from . import x`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module] if node.module else [a.name for a in node.names]
            for name in names:
                yield node, name.split(".")[0]


def _trees():
    return {p.stem: ast.parse(p.read_text()) for p in sorted(PACKAGE.glob("*.py"))}


def test_every_module_has_a_place_in_the_order():
    assert set(_trees()) == set(ORDER)


def test_modules_import_only_downward():
    upward = []
    for mod, tree in _trees().items():
        for node, target in _sibling_imports(tree):
            if target in ORDER and ORDER.index(target) >= ORDER.index(mod):
                upward.append(f"{mod}.py:{node.lineno} imports {target}")
    assert not upward, upward


def test_no_function_local_sibling_imports():
    local = []
    for mod, tree in _trees().items():
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                local += [f"{mod}.py:{node.lineno} ({fn.name}) imports {target}"
                          for node, target in _sibling_imports(fn)]
    assert not local, local
