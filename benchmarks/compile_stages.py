#!/usr/bin/env python3
"""Where the W7 cold compile goes: the W4 MLP step's compile stages (FNX_LOG_COMPILES).

    python benchmarks/compile_stages.py             # 3 cold and 3 warm-cache rounds
    python benchmarks/compile_stages.py --rounds 5

Each round is a new process (so imports and LLVM start cold, as a user's first call does): the
cold rounds each get an empty FNX_CACHE_DIR, the warm rounds the directory the last cold round
filled. Each process calls the step once with the compile log on and reports its stages; the
table is the median of each stage over the rounds, with the first call minus a steady call.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from fnx.backends.base import nested_order  # noqa: E402

_CHILD = """
import json, logging, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {here!r})
import workloads
logs = []
class Keep(logging.Handler):
    def emit(self, record):
        logs.append(record.fnx_compile_log)
logger = logging.getLogger("fnx")
logger.addHandler(Keep()); logger.propagate = False
workloads.fnx.config.update("fnx_log_compiles", True)
params, x, y = workloads.mlp_data()
f = workloads.fnx_step()
t0 = time.perf_counter(); f(params, x, y); t1 = time.perf_counter(); f(params, x, y)
t2 = time.perf_counter()
(log,) = logs
print(json.dumps({{"first_minus_steady": (t1 - t0) - (t2 - t1), "cache": log.cache,
                  "stages": [[n, d, t] for n, d, t in log.stages]}}))
"""


def run_child(cache_dir: str) -> dict:
    """One new process calling the W4 step once with `cache_dir` as its disk cache."""
    code = _CHILD.format(root=os.path.dirname(HERE), here=HERE)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, FNX_CACHE_DIR=cache_dir), check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def table(title: str, runs: list[dict]) -> str:
    """Median milliseconds of each stage over `runs` (stages in the first run's order, nested
    stages indented under the stage they ran in)."""
    order = [(name, depth) for name, depth, _ in nested_order(runs[0]["stages"])]
    lines = [f"{title} (disk cache: {runs[0]['cache']}; median of {len(runs)} processes)",
             "| stage | ms |", "|---|---:|"]
    for name, depth in order:
        ms = statistics.median(sum(t for n, d, t in r["stages"] if (n, d) == (name, depth))
                               for r in runs) * 1e3
        lines.append(f"| {'&nbsp;&nbsp;' * depth}{name} | {ms:.1f} |")
    steady = statistics.median(r["first_minus_steady"] for r in runs) * 1e3
    lines.append(f"| first call minus steady call | {steady:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cold, warm, dirs = [], [], []
    try:
        for _ in range(args.rounds):
            dirs.append(tempfile.mkdtemp(prefix="fnx-stages-"))
            cold.append(run_child(dirs[-1]))
        for _ in range(args.rounds):
            warm.append(run_child(dirs[-1]))
    finally:
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    print(table("W4 step, cold compile", cold))
    print()
    print(table("W4 step, new process, warm disk cache", warm))


if __name__ == "__main__":
    main()
