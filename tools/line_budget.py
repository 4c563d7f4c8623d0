#!/usr/bin/env python3
"""Lines of the core (`fnx_ir`, `fnx/_core`, `fnx/_rules`) per module, checked against a budget.

The core should stay small enough to read in an afternoon (as tinygrad keeps its line
count, and JAX's autodidax shows the ideas in one notebook). A line of code is a line
holding a Python token other than a comment or a docstring; blank lines, comments and
docstrings are free. The rest of the repository (user modules, the CPU backend) is
printed as totals, without a budget.

    python tools/line_budget.py            # the table; exit status 1 if over budget
    python tools/line_budget.py --modules  # also every module of the core

Run by the suite (tests/test_layers.py). Raising a budget is a decision to record in
docs/architecture.md, with the reason.
"""
from __future__ import annotations

import ast
import io
import pathlib
import sys
import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[1]

# package -> budget in lines of code (the count when the budget was set, plus room to grow)
BUDGETS = {
    "fnx_ir": 2100,
    "fnx/_core": 3900,
    "fnx/_rules": 2700,
}
CORE_BUDGET = 8000  # the three together
REST = ("fnx/numpy", "fnx/backends", "fnx/random", "fnx")  # totals only; each file counted once

_FREE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def code_lines(path: pathlib.Path) -> int:
    """Lines of `path` holding code (not blank, a comment or a docstring)."""
    text = path.read_text()
    free = _docstring_lines(ast.parse(text))
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type not in _FREE:
            lines.update(n for n in range(tok.start[0], tok.end[0] + 1) if n not in free)
    return len(lines)


def _files(package: str) -> list[pathlib.Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _counts(files: list[pathlib.Path]) -> tuple[int, int]:
    """(lines of code, all lines) of `files`."""
    return (sum(code_lines(f) for f in files),
            sum(len(f.read_text().splitlines()) for f in files))


def _row(name: str, code: int, total: int, budget: int | None = None) -> str:
    over = budget is not None and code > budget
    return (f"{name:<16}{code:>7}{'-' if budget is None else budget:>8}{total:>11}"
            + ("  OVER BUDGET" if over else ""))


def report(modules: bool = False) -> tuple[str, bool]:
    """The table, and whether the core and each of its packages are within budget."""
    out = [f"{'package':<16}{'code':>7}{'budget':>8}{'all lines':>11}"]
    core = [f for p in BUDGETS for f in _files(p)]
    ok = True
    for package, budget in BUDGETS.items():
        code, total = _counts(_files(package))
        ok &= code <= budget
        out.append(_row(package, code, total, budget))
        if modules:
            out += [f"  {str(f.relative_to(ROOT)):<34}{code_lines(f):>5}" for f in _files(package)]
    code, total = _counts(core)
    ok &= code <= CORE_BUDGET
    out.append(_row("core", code, total, CORE_BUDGET))
    seen = set(core)
    for package in REST:
        files = [f for f in _files(package) if f not in seen]
        seen.update(files)
        out.append(_row(package + (" (rest)" if package == "fnx" else ""), *_counts(files)))
    return "\n".join(out), ok


def main(argv: list[str]) -> int:
    table, ok = report(modules="--modules" in argv)
    print(table)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
