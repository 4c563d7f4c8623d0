"""The CPU backend: a Program becomes one native function, compiled by LLVM (via llvmlite) for the host.

Pipeline: `expand` rewrites a few primitives into forms the kernels handle best; `partition`
groups equations into fused kernels; `plan` places intermediates in one arena; `lower` emits a
function per kernel (`fused` for loop nests, `kernels` for the rest, with `matmul`'s GEMM and
`sort`'s radix sort, `control` for cond/while/scan, which call their sub-programs' functions;
`scalar` gives every elementwise op its exact semantics, with `mathlib`'s transcendentals) and
an entry that runs them in order; `module` optimises and JIT-compiles it and writes the machine
code to the disk cache (`cache`), keyed on the program: a process that finds it there skips
all of the above and maps the object file with `loader`, without loading LLVM; `runtime` is
the Executable.
"""
from __future__ import annotations

from ..base import LoweringOptions
from . import cache, loader
from .runtime import CPUExecutable, check_object_layout


class CPUBackend:
    name = "cpu"
    capabilities = frozenset({"all-primitives", "control-flow"})

    def lower(self, program, options: LoweringOptions = LoweringOptions()) -> CPUExecutable:
        optimize = options.optimize
        donate = tuple(options.extra.get("donate", ()))  # (output, input) pairs: see plan.donations
        where = cache.cache_dir() if options.extra.get("cache", True) else None
        key = cache.key(program, optimize, donate) if where else None
        stem = f"{where}/{key}" if key else None
        if stem is not None:
            exe = _from_cache(program, stem, optimize)
            if exe is not None:
                return exe
        from . import lower, module, plan
        offsets = (lower.TUPLE_ITEMS, lower.LIST_ITEMS, lower.ARRAY_DATA)
        check_object_layout(*offsets)
        mod, layout, constants = lower.build_module(program, donate)
        text = str(mod)
        compiled, obj = module.compile_ir(text, optimize)
        info = {"entry": lower.ENTRY, "arena_size": layout.plan.arena_size, "align": plan.ALIGN,
                "aliases": sorted(layout.plan.aliases.items())}
        if stem is not None and obj is not None:
            found: dict = {}  # id(var) -> (program, index), programs in `all_programs` order
            for i, p in enumerate(cache.all_programs(program)):
                for j, (v, _) in enumerate(p.constants):
                    found.setdefault(id(v), (i, j))
            meta = dict(info, object_layout=offsets, constants=[found[id(v)] for v, _ in constants])
            module.write_entry(stem, meta, obj, text)
        return CPUExecutable(program, constants, compiled, info, (layout.part, layout.plan))


def _from_cache(program, stem: str, optimize: bool) -> CPUExecutable | None:
    """The executable from the disk-cache entry `stem`, or None (absent, corrupt or unusable)."""
    entry = cache.read_entry(stem)
    if entry is None:
        return None
    meta, obj = entry
    try:
        check_object_layout(*meta["object_layout"])
        programs = cache.all_programs(program)
        constants = [programs[i].constants[j] for i, j in meta["constants"]]
        info = {k: meta[k] for k in ("entry", "arena_size", "align", "aliases")}
    except (KeyError, IndexError, TypeError, ValueError):
        return None

    def source() -> str:  # the code generator's LLVM IR, for inspection
        text = cache.read_llvm_ir(stem, meta)
        if text is None:  # gone or damaged: make it again
            from .lower import build_module
            text = str(build_module(program)[0])
        return text

    image = loader.load(obj)
    try:
        if image is None:
            from .module import load_with_mcjit
            image = load_with_mcjit(obj)
        exe = CPUExecutable(program, constants, cache.Compiled(image, source, optimize), info)
    except (RuntimeError, ValueError, OSError):
        return None
    cache.stats["disk_hits"] += 1
    cache.touch(stem + ".o")  # recently used: pruned last
    return exe
