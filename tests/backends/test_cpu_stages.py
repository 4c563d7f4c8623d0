"""The CPU backend's stages import in one direction (read from the sources, not by running them):
schedule → emit → codelib → runtime, each knowing nothing of the stages after it, the runtime
nothing of the code generator; a backend imports no user-facing module; and the only imports
inside functions are the two that keep LLVM out of a process whose programs are all cached."""
from __future__ import annotations

import ast
import pathlib

import fnx.backends

BACKENDS = pathlib.Path(fnx.backends.__file__).parent
CPU = BACKENDS / "cpu"
PACKAGE = "fnx.backends.cpu"

# module (relative to fnx.backends.cpu) -> the cpu modules it must not import
FORBIDDEN = {
    "schedule": ("emit", "codelib", "runtime", "loader", "cache"),
    "emit": ("codelib", "runtime", "loader", "cache"),
    "codelib": ("schedule", "emit", "runtime"),
    "cache": ("schedule", "emit", "codelib", "runtime"),
    "loader": ("schedule", "emit", "codelib", "runtime", "cache"),
    "runtime": ("schedule", "emit", "codelib", "cache", "loader", "target", "mathlib"),
}
LAZY = {("__init__", "_code_generator"), ("target", "llvm_binding")}  # (see their docstrings)


def _dotted(path: pathlib.Path) -> str:
    parts = path.relative_to(BACKENDS.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_name(path: pathlib.Path) -> str:
    """`path`'s module relative to the cpu package ("__init__" for the package itself)."""
    return _dotted(path).removeprefix(PACKAGE).lstrip(".") or "__init__"


def _imports(path: pathlib.Path):
    """(absolute module imported, enclosing function name or None) for each import in `path`."""
    tree = ast.parse(path.read_text())
    package = _dotted(path) if path.name == "__init__.py" else _dotted(path).rsplit(".", 1)[0]

    def walk(node, fn):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else fn
            if isinstance(child, ast.Import):
                for a in child.names:
                    yield a.name, fn
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    mod = f"{base}.{child.module}" if child.module else base
                else:
                    mod = child.module
                yield mod, fn
                for a in child.names:  # `from . import emit`
                    yield f"{mod}.{a.name}", fn
            yield from walk(child, inner)
    yield from walk(tree, None)


def _sources():
    return [p for p in sorted(CPU.rglob("*.py")) if "mathlib" not in p.relative_to(CPU).parts[0]]


def test_stages_import_in_one_direction():
    bad = []
    for path in _sources():
        name = _module_name(path)
        stage = name.split(".")[0]
        for mod, _ in _imports(path):
            for other in FORBIDDEN.get(stage, ()):
                if mod == f"{PACKAGE}.{other}" or mod.startswith(f"{PACKAGE}.{other}."):
                    bad.append(f"{name} imports {mod}")
    assert not bad, bad


def test_runtime_and_cache_path_need_no_llvm():
    for name in ("runtime", "codelib", "cache", "loader", "__init__"):
        path = CPU / ("__init__.py" if name == "__init__" else name + ".py")
        top = [mod for mod, fn in _imports(path) if fn is None]
        assert not [m for m in top if m.startswith("llvmlite")], name
        assert not [m for m in top if m.startswith(f"{PACKAGE}.emit") or
                    m.startswith(f"{PACKAGE}.schedule")], name


def test_backends_import_no_user_module_and_no_late_imports_but_the_lazy_two():
    user = ("fnx.numpy", "fnx.lax", "fnx.nn", "fnx.random", "fnx.scipy")
    late = []
    for path in _sources() + [BACKENDS / "base.py", BACKENDS / "__init__.py"]:
        for mod, fn in _imports(path):
            assert not mod.startswith(user), (path, mod)
            if fn is not None and CPU in path.parents:
                late.append((_module_name(path), fn))
    assert set(late) <= LAZY, late
