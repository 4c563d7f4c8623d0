"""The import check: fnx's layers import only downward (docs/architecture.md); and the
core's line budget (tools/line_budget.py).

    fnx_ir  <  fnx._core  <  fnx._rules  <  user modules (lax, numpy, nn, random, ...)  <  fnx

Backends (fnx.backends.*) import fnx_ir, the backend interface (fnx.backends.base),
fnx._core.array and, for the interpreter, the core's evaluator; the core may import the
backend interface only. Read with `ast`, without importing anything, the test fails on
(a) a cycle of module-level imports, (b) an import from a higher layer, (c) a function-local
import of an fnx/fnx_ir module (a dodged cycle; optional external packages are fine).
"""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("fnx", "fnx_ir")

# Function-local imports that are start-up laziness, not a dodged cycle: each target is also
# importable at module level without a cycle (checked below). Nothing else may be added here.
_LAZY = {
    # the code generator loads llvmlite (~40 ms), which a process whose programs are all in the
    # disk cache never needs
    ("local", "fnx.backends.cpu", "fnx.backends.cpu.emit"),
}


def _modules() -> dict[str, pathlib.Path]:
    """Every module of fnx and fnx_ir by dotted name."""
    mods = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
             known: dict) -> list[str]:
    """The fnx/fnx_ir modules an import statement names (a submodule when it names one)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] in PACKAGES]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if source.split(".")[0] not in PACKAGES:
        return []
    subs = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in known]
    return subs if subs and len(subs) == len(node.names) else [source] + subs


def _imports(known: dict) -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """Module-level import edges, and (module, target) pairs of function-local imports."""
    edges: dict[str, set[str]] = {m: set() for m in known}
    local: list[tuple[str, str]] = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"

        def visit(node, in_function: bool):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for t in _targets(child, module, is_package, known):
                        (local.append((module, t)) if in_function else edges[module].add(t))
                visit(child, in_function or isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

        visit(tree, False)
    return edges, local


def _layer(module: str) -> str:
    if module == "fnx_ir" or module.startswith("fnx_ir."):
        return "ir"
    for prefix, layer in (("fnx._core", "core"), ("fnx._rules", "rules"),
                          ("fnx.backends", "backend")):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return "top" if module == "fnx" else "user"


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _allowed(source: str, target: str) -> bool:
    """May `source` import `target` at all?"""
    src, dst = _layer(source), _layer(target)
    if src == "top":
        return True
    if src == "backend":
        if source == "fnx.backends":  # the registry imports the backends it registers
            return dst in ("ir", "backend")
        own = ".".join(source.split(".")[:3])  # fnx.backends.cpu.x may import fnx.backends.cpu.*
        return (dst == "ir" or target == "fnx.backends.base" or _within(target, own)
                or target == "fnx._core.array"
                or (source == "fnx.backends.interpreter" and target == "fnx._core.evaluate"))
    if dst == "backend":  # above the backends, only their interface is visible
        return target == "fnx.backends.base" and src in ("core", "rules", "user")
    order = ("ir", "core", "rules", "user")
    return order.index(dst) <= order.index(src)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def violations() -> list[tuple[str, str, str]]:
    """Every (kind, module, imported) breaking the layering, pending ones included."""
    known = _modules()
    edges, local = _imports(known)
    out = [("local", m, t) for m, t in local]
    out += [("upward", m, t) for m in edges for t in sorted(edges[m]) if not _allowed(m, t)]
    out += [("cycle", c[0], " -> ".join(c)) for c in _cycles(edges)]
    return sorted(set(out))


def test_imports_go_only_downward():
    new = [v for v in violations() if v not in _LAZY]
    assert not new, "layering violations (see docs/architecture.md):\n" + "\n".join(
        f"  {kind}: {module} imports {target}" for kind, module, target in new)


def test_lazy_imports_are_current_and_acyclic():
    assert _LAZY <= set(violations()), f"not lazy any more: remove from _LAZY: {sorted(_LAZY)}"
    edges, _ = _imports(_modules())
    for _, module, target in _LAZY:
        assert not _cycles({**edges, module: edges[module] | {target}}), (module, target)


def test_the_check_sees_violations():
    assert not _allowed("fnx._core.ad", "fnx.lax")
    assert not _allowed("fnx._core.api", "fnx.backends.interpreter")
    assert not _allowed("fnx_ir.program", "fnx._core.trace")
    assert not _allowed("fnx.backends.cpu.runtime", "fnx._core.trace")
    assert _allowed("fnx.lax", "fnx._core.trace") and _allowed("fnx._core.api", "fnx.backends.base")
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_core_within_its_line_budget():
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "line_budget.py")],
                         capture_output=True, text=True)
    assert run.returncode == 0, "over the line budget (docs/architecture.md):\n" + run.stdout


if __name__ == "__main__":
    for v in violations():
        print(*v, "(lazy)" if v in _LAZY else "")
