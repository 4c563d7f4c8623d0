"""How a dot_general runs as a strided GEMM: the operand layouts it reads as they lie, the
product it computes (C or C^T), and the GEMM's blocking for the host (register tile, cache blocks,
scratch bytes). Decided here, before any code is emitted; `emit.matmul` emits the GEMM itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fnx_ir import Literal

from ..target import host_vector

GEMM_DTYPES = ("float32", "float64", "int32", "uint32", "int64", "bool")
ELEMENT_BYTES = {"float32": 4, "float64": 8, "int32": 4, "uint32": 4, "int64": 8, "bool": 1}


def dtype_name(dtype) -> str:
    """The GEMM's name for `dtype` (an fnx or numpy dtype, or its name); ValueError if none."""
    name = getattr(dtype, "name", None) or str(dtype)
    if name in ("bool_", "b1"):
        name = "bool"
    try:
        name = np.dtype(name).name
    except Exception:
        pass
    if name not in ELEMENT_BYTES:
        raise ValueError(f"gemm: unsupported dtype {dtype!r}; supported: {', '.join(GEMM_DTYPES)}")
    return name


@dataclass(frozen=True)
class GemmParams:
    """Blocking for the float kernels: MR x NR register tile (NR a multiple of the vector width
    VW), KC depth of a packed slice, MC rows of A per packed block, NC columns of B per block."""
    mr: int
    nr: int
    vw: int
    kc: int
    mc: int
    nc: int


def gemm_params(dtype, vector_bits: int | None = None, num_regs: int | None = None) -> GemmParams:
    """The blocking used for `dtype` on a target with `vector_bits`-wide vectors and
    `num_regs` vector registers (default: the host)."""
    name = dtype_name(dtype)
    hb, hr = host_vector()
    vector_bits = vector_bits or hb
    num_regs = num_regs or (hr if vector_bits == hb else (32 if vector_bits >= 512 else 16))
    size = ELEMENT_BYTES[name]
    vw = max(1, vector_bits // (8 * size))
    nr = 2 * vw
    if num_regs >= 32:
        mr = 8          # a power of two so that A packs with shuffles
        if size == 8:
            nr = 3 * vw  # 24 accumulators: float64 gains ~5% at 1024^2, float32 does not
    else:
        mr = 6          # 12 accumulators of 16 registers
    # Measured on an AVX-512 core (48 KiB L1d, 2 MiB L2): the B micro-panel (KC x NR) stays in
    # L1 across the MR-row tiles, the A block (MC x KC) in L2, B's block (KC x NC) in L2/L3.
    # KC 128..384 and MC 64..128 are within a few percent of each other.
    kc = 256
    mc = mr * max(1, (64 if size <= 4 else 128) // mr)
    nc = nr * max(1, (4096 if size <= 4 else 2048) // nr)
    return GemmParams(mr=mr, nr=nr, vw=vw, kc=kc, mc=mc, nc=nc)


def _round_up(x: int, m: int) -> int:
    return (x + m - 1) // m * m


def gemm_scratch_bytes(M: int, N: int, K: int, dtype, vector_bits: int | None = None,
                       num_regs: int | None = None, params: GemmParams | None = None) -> int:
    """Bytes of scratch `fnx.gemm.<dtype>` needs for an M x K @ K x N product (0 for integer
    and bool dtypes). Never more than (MC + NC) * KC elements plus 128 bytes."""
    name = dtype_name(dtype)
    if name not in ("float32", "float64") or M <= 0 or N <= 0 or K <= 0:
        return 0
    p = params or gemm_params(name, vector_bits, num_regs)
    size = ELEMENT_BYTES[name]
    kc = min(K, p.kc)
    a = _round_up(min(M, p.mc), p.mr) * kc * size
    b = _round_up(min(N, p.nc), p.nr) * kc * size
    return _round_up(a, 64) + b + 128


def matrix_strides(shape, batch, rows, cols):
    """(batch, row, column) element strides of an operand of `shape` read as a batch of
    prod(rows) x prod(cols) matrices (dims `rows` / `cols` flattened in the order given), or
    None when its row-major layout does not allow it: the batch dims must lead, in order, and
    the rest be `rows` then `cols` (a row-major matrix) or `cols` then `rows` (column-major)."""
    nb = len(batch)
    if tuple(batch) != tuple(range(nb)):
        return None
    rest = tuple(range(nb, len(shape)))
    nr = math.prod(shape[d] for d in rows)
    nc = math.prod(shape[d] for d in cols)
    per_batch = math.prod(shape[nb:])
    if rest == tuple(rows) + tuple(cols):
        return per_batch, nc, 1
    if rest == tuple(cols) + tuple(rows):
        return per_batch, 1, nr
    return None


def dot_operands(eq):
    """The strided batches of matrices a dot_general reads: (lhs, rhs) as (batch, row, col)
    strides (None where an operand's layout does not fit; `expand` transposes those)."""
    (lc, rc), (lb, rb) = eq.params["dimension_numbers"]
    lhs, rhs = eq.inputs
    if isinstance(lhs, Literal) or isinstance(rhs, Literal):
        return None, None
    lfree = [d for d in range(lhs.type.ndim) if d not in lc + lb]
    rfree = [d for d in range(rhs.type.ndim) if d not in rc + rb]
    return (matrix_strides(lhs.type.shape, lb, lfree, lc),
            matrix_strides(rhs.type.shape, rb, rc, rfree))


def gemm_plan(eq):
    """How a dot_general runs as one batched strided GEMM: (batch, M, N, K, (sa, rsa, csa),
    (sb, rsb, csb), (sc, rsc, csc), swapped). With few columns (N < the microkernel's width)
    and more rows, C^T = B^T A^T is computed instead: its tiles are then full."""
    (lc, rc), (lb, rb) = eq.params["dimension_numbers"]
    lhs, rhs = eq.inputs
    ls, rs = lhs.type.shape, rhs.type.shape
    batch, k = math.prod(ls[d] for d in lb), math.prod(ls[d] for d in lc)
    m = math.prod(ls[d] for d in range(len(ls)) if d not in lc + lb)
    n = math.prod(rs[d] for d in range(len(rs)) if d not in rc + rb)
    a, bb = dot_operands(eq)
    c = (m * n, n, 1)
    dtype = lhs.type.dtype.name
    if dtype in ("float32", "float64") and n < gemm_params(dtype).nr and m > n:
        t = lambda s: (s[0], s[2], s[1])  # noqa: E731  (the transposed view)
        return batch, n, m, k, t(bb), t(a), t(c), True
    return batch, m, n, k, a, bb, c, False
