#!/usr/bin/env python3
"""Set-up-free entry points: `python3 tasks.py demo` and `python3 tasks.py test`.

Each creates (or reuses) the virtual environment `.venv` inside the checkout,
installs fnx with what the command needs, and runs it.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
PYTHON = os.path.join(VENV, "Scripts" if os.name == "nt" else "bin", "python")


def ensure_venv(extra: str) -> None:
    """Create .venv and `pip install -e .[extra]` unless pyproject.toml is unchanged since."""
    if not os.path.exists(PYTHON):
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        digest = hashlib.sha256(f.read() + extra.encode()).hexdigest()
    stamp = os.path.join(VENV, f".installed-{extra or 'base'}")
    if os.path.exists(stamp) and open(stamp).read() == digest:
        return
    target = f"{ROOT}[{extra}]" if extra else ROOT
    print(f"installing fnx{f'[{extra}]' if extra else ''} into .venv", flush=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-e", target], check=True)
    with open(stamp, "w") as f:
        f.write(digest)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    rest = argv[1:]
    if command == "demo":
        ensure_venv("")
        return subprocess.call([PYTHON, os.path.join(ROOT, "examples", "tour.py"), *rest])
    if command == "test":
        ensure_venv("test")
        env = dict(os.environ)
        env.setdefault("HYPOTHESIS_PROFILE", "ci")
        return subprocess.call([PYTHON, "-m", "pytest", "-q", *rest], cwd=ROOT, env=env)
    print("usage: python3 tasks.py demo | test [pytest args]")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
