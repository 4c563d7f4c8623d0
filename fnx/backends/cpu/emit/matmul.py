"""Packed, register-blocked GEMM emitted as LLVM IR.

`emit_gemm(module, dtype)` adds (once per module) and returns the function

    void fnx.gemm.<dtype>(i64 M, i64 N, i64 K,
                          T* A, i64 lda, T* B, i64 ldb, T* C, i64 ldc,
                          i32 accumulate, i8* scratch)

computing, for row-major operands (leading dimensions in elements, >= the row length),

    C[M x N]  = A[M x K] @ B[K x N]        (accumulate == 0)
    C[M x N] += A[M x K] @ B[K x N]        (accumulate != 0)

T is float / double for float32 / float64, i32 for int32 / uint32, i64 for int64 and i8 for bool
(numpy's one-byte bools: the result is OR over k of (a AND b), as `numpy.matmul`). Integer
products wrap. Any M, N, K >= 0 are valid (M == 0 or N == 0: nothing is touched; K == 0: C is
zeroed, or left alone when accumulating); no element outside the M x N / M x K / K x N windows
is read or written. C must not overlap A, B or the scratch buffer.

`scratch` must point to at least `gemm_scratch_bytes(M, N, K, dtype)` bytes (any alignment;
0 bytes, so a null pointer is fine, for integer and bool dtypes). The size is bounded whatever
the problem size ((MC + NC) * KC elements + 128 bytes: at most ~4.3 MB float32, ~4.5 MB float64;
1.1 MB for a 1024^3 float32 product), so a runtime can keep one buffer per thread.

Batched products: call the function once per batch element with offset pointers (the call
overhead is a few ns; packing is per call anyway), or use `emit_gemm_batched`, which adds

    void fnx.gemm_batched.<dtype>(i64 batch, i64 M, i64 N, i64 K,
                                  T* A, i64 stride_a, i64 lda, T* B, i64 stride_b, i64 ldb,
                                  T* C, i64 stride_c, i64 ldc, i32 accumulate, i8* scratch)

looping over `batch` with element strides stride_a/b/c (a stride of 0 broadcasts an operand).

Strided operands (what the backend's dot_general kernels call): `emit_gemm_strided` adds

    void fnx.gemm_strided.<dtype>(i64 M, i64 N, i64 K, T* A, i64 rsa, i64 csa,
                                  T* B, i64 rsb, i64 csb, T* C, i64 rsc, i64 csc,
                                  i32 accumulate, i8* scratch, ptr epilogue, ptr context)

with X[i, j] at X[i * rsX + j * csX]: row-major (csX == 1) and column-major (rsX == 1, i.e. a
transposed operand such as x^T in x^T @ g) layouts are packed at full speed, any other layout
element by element; `fnx.gemm.<dtype>` is this with unit column strides. `emit_gemm_strided_batched`
adds the batched form (batch, M, N, K, A, sa, rsa, csa, B, sb, rsb, csb, C, sc, rsc, csc,
accumulate, scratch). `epilogue`, unless null, is called as `void epilogue(context, i64 i0,
i64 j0, i64 m, i64 n)` once C[i0:i0+m, j0:j0+n] is final (float: each MC x NR column of tiles
right after its last K slice, while it is in L1; integer: once, on all of C); it may rewrite
that block of C and must touch no other part of C.

Float algorithm (BLIS/GotoBLAS structure): K is cut into equal slices of at most KC (784 = 4 x
196, not 3 x 256 + 16, which would spend a whole C pass on 16 terms). For each NC-column block of
B and K slice, B is packed into NR-column panels (KC x NR each, zero-padded; row-major B read a
row at a time, column-major B in VW x VW blocks transposed with shuffles); for each MC-row block
of A, A is packed into MR-row panels stored k-major (the MR values of column k contiguous;
row-major A transposed with shuffles when MR is a power of two, column-major A copied MR values
at a time), then an MR x NR
microkernel (a noinline function, so its register allocation does not depend on the caller)
keeps the C tile in MR * NR / VW vector accumulators and per k does NR / VW vector loads of B,
MR broadcasts of A and MR * NR / VW vector FMAs (llvm.fma on <VW x T>), k unrolled by 4; it
prefetches its C tile before the k loop and adds into C (or overwrites it on the first K
slice unless accumulating; a C with csc != 1, e.g. C^T, is written through a stack tile).
Tiles follow the target's vector width and register count (see
`gemm_params`): AVX-512 float32 8 x 32 (16 zmm accumulators), float64 8 x 24 (24 zmm);
AVX2 6 x 16 / 6 x 8; 128-bit with 32 registers (NEON) 8 x 8 / 8 x 4, with 16 (SSE) 6 x 8 /
6 x 4. KC = 256, MC = 64 (float32) / 128 (float64), NC = 4096 / 2048 elements. Edge tiles are
computed in full on the zero-padded panels and only their valid part is written (through a
stack tile), so any M, N, K work and nothing outside the operands' windows is touched.

Measured single-threaded on this host (AVX-512, ~214 GFLOP/s float32 FMA peak at the clock it
ran; interleaved rounds, thread CPU time, medians; the machine is shared and noisy, so numbers
move by ~5-10% between runs): float32 256^3 ~150-160 GFLOP/s, 1024^3 ~140-155 (PyTorch/MKL
one thread about the same); 128 x 784 x 512 ~140; 784 x 512 x 128 ~155-160. The microkernel
alone on cache-resident panels reaches ~165-175 (an FMA loop with the same loads ~183, pure
FMAs 214); packing is ~5-8% of a 256^3 product. Tried and no better here (within noise): 8 x 48
and 6 x 64 tiles (fewer loads per FMA, but padding waste at N = 256/512), 12 x 32, MC = 128 or
256, KC = 192/384, the tile loop inside the microkernel, software prefetch of the next panels.
"""
from __future__ import annotations


from llvmlite import ir

from ..schedule.gemm import (ELEMENT_BYTES, GEMM_DTYPES, GemmParams, dtype_name, gemm_params,
                             gemm_scratch_bytes)
from .loops import loop_nest

__all__ = ["emit_gemm", "emit_gemm_batched", "emit_gemm_strided", "emit_gemm_strided_batched",
           "gemm_scratch_bytes", "gemm_params", "GemmParams", "GEMM_DTYPES"]

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()

_TYPE = {  # the element type in registers and memory
    "float32": ir.FloatType,
    "float64": ir.DoubleType,
    "int32": lambda: I32,
    "uint32": lambda: I32,
    "int64": lambda: I64,
    "bool": lambda: I8,
}


# ----------------------------------------------------------------------------------------------
# small IR helpers
# ----------------------------------------------------------------------------------------------

def _c64(v):
    return ir.Constant(I64, v)


def _smin(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


def _gep(b, ptr, idx, ety):
    return b.gep(ptr, [idx], source_etype=ety)


def _alloca(b, ty):
    """alloca returning an opaque pointer (llvmlite types it as ty*)."""
    with b.goto_entry_block():
        al = b.alloca(ty)
    al.align = 64
    al.type = PTR
    return al


def _add_attr(fn, attr):
    set.add(fn.attributes, attr)    # llvmlite only whitelists keyword attributes


def _fma_fn(module, vty):
    name = "llvm.fma.v%d%s" % (vty.count, "f32" if isinstance(vty.element, ir.FloatType) else "f64")
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(vty, [vty, vty, vty]), name)
    return fn


def _splat(b, v, vty):
    undef = ir.Constant(vty, ir.Undefined)
    x = b.insert_element(undef, v, ir.Constant(I32, 0))
    return b.shuffle_vector(x, undef, ir.Constant(ir.VectorType(I32, vty.count), [0] * vty.count))


# ----------------------------------------------------------------------------------------------
# float GEMM
# ----------------------------------------------------------------------------------------------

def _kernel_fn(module, name, argtys, p: GemmParams, size: int) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), argtys), name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    fn.attributes.add("noinline")       # register allocation independent of the caller
    _add_attr(fn, '"min-legal-vector-width"="%d"' % (p.vw * size * 8))
    _add_attr(fn, '"prefer-vector-width"="%d"' % (p.vw * size * 8))
    return fn


def _emit_microkernel(module, name, T, size, p: GemmParams):
    """void uk(i64 kc, T* ap, T* bp, T* c, i64 rsc, i64 csc, i1 beta, i64 mrem, i64 nrem)
    ap: kc groups of MR elements (A[i, k] at k*MR + i); bp: kc rows of NR elements; C[i, j] at
    c[i*rsc + j*csc]."""
    fn = _kernel_fn(module, name, [I64, PTR, PTR, PTR, I64, I64, I1, I64, I64], p, size)
    for a in fn.args[1:4]:
        a.add_attribute("noalias")
    kc, ap, bp, c, ldc, csc, beta, mrem, nrem = fn.args
    MR, NR, VW = p.mr, p.nr, p.vw
    NV = NR // VW
    vty = ir.VectorType(T, VW)
    fma = _fma_fn(module, vty)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    zero = ir.Constant(vty, [ir.Constant(T, 0.0)] * VW)
    # the C tile is written at the end: start fetching it now (rows of a unit-stride tile)
    pf = module.globals.get("llvm.prefetch.p0")
    if pf is None:
        pf = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, I32, I32, I32]), "llvm.prefetch.p0")
    line = max(1, 64 // size)
    with b.if_then(b.icmp_signed("==", csc, _c64(1))):
        for i in range(MR):
            crow = _gep(b, c, b.mul(ldc, _c64(i)), T)
            for off in range(0, NR, line):
                b.call(pf, [_gep(b, crow, _c64(off), T), ir.Constant(I32, 1), ir.Constant(I32, 3),
                            ir.Constant(I32, 1)])
    entry = b.block

    # The k loop is built by hand, not by `loops.loop_nest`: its accumulators are loop-carried
    # registers (phis), unrolled by U with a remainder loop. It is the one sequential loop the
    # loop helper does not open (a reduction inside one tile: never split across threads).
    U = 4                    # k-loop unroll
    hdr_u = fn.append_basic_block("ku.hdr")
    body_u = fn.append_basic_block("ku.body")
    hdr_r = fn.append_basic_block("kr.hdr")
    body_r = fn.append_basic_block("kr.body")
    store = fn.append_basic_block("store")

    def step(b, k, acc):
        bvec = [b.load(_gep(b, bp, b.add(b.mul(k, _c64(NR)), _c64(v * VW)), T), typ=vty,
                       align=size) for v in range(NV)]
        out = list(acc)
        arow = _gep(b, ap, b.mul(k, _c64(MR)), T)
        for i in range(MR):
            a = _splat(b, b.load(_gep(b, arow, _c64(i), T), typ=T, align=size), vty)
            for v in range(NV):
                out[i * NV + v] = b.call(fma, [a, bvec[v], acc[i * NV + v]])
        return out

    b.branch(hdr_u)
    b.position_at_end(hdr_u)
    k_u = b.phi(I64, name="k")
    k_u.add_incoming(_c64(0), entry)
    acc_u = []
    for j in range(MR * NV):
        ph = b.phi(vty)
        ph.add_incoming(zero, entry)
        acc_u.append(ph)
    b.cbranch(b.icmp_signed("<=", b.add(k_u, _c64(U)), kc), body_u, hdr_r)
    b.position_at_end(body_u)
    acc = list(acc_u)
    for u in range(U):
        acc = step(b, b.add(k_u, _c64(u)) if u else k_u, acc)
    k_u.add_incoming(b.add(k_u, _c64(U)), b.block)
    for ph, v in zip(acc_u, acc, strict=True):
        ph.add_incoming(v, b.block)
    b.branch(hdr_u)

    b.position_at_end(hdr_r)
    k_r = b.phi(I64, name="k.r")
    k_r.add_incoming(k_u, hdr_u)
    acc_r = []
    for j in range(MR * NV):
        ph = b.phi(vty)
        ph.add_incoming(acc_u[j], hdr_u)
        acc_r.append(ph)
    b.cbranch(b.icmp_signed("<", k_r, kc), body_r, store)
    b.position_at_end(body_r)
    acc = step(b, k_r, acc_r)
    k_r.add_incoming(b.add(k_r, _c64(1)), b.block)
    for ph, v in zip(acc_r, acc, strict=True):
        ph.add_incoming(v, b.block)
    b.branch(hdr_r)

    # store: full unit-stride tiles straight to C, the others through a stack tile
    b.position_at_end(store)
    final = acc_r
    full = b.and_(b.and_(b.icmp_signed("==", mrem, _c64(MR)), b.icmp_signed("==", nrem, _c64(NR))),
                  b.icmp_signed("==", csc, _c64(1)))
    with b.if_else(full) as (then, otherwise):
        with then:
            with b.if_else(beta) as (acc1, acc0):
                with acc1:
                    for i in range(MR):
                        row = _gep(b, c, b.mul(ldc, _c64(i)), T)
                        for v in range(NV):
                            ptr = _gep(b, row, _c64(v * VW), T)
                            old = b.load(ptr, typ=vty, align=size)
                            b.store(b.fadd(old, final[i * NV + v]), ptr, align=size)
                with acc0:
                    for i in range(MR):
                        row = _gep(b, c, b.mul(ldc, _c64(i)), T)
                        for v in range(NV):
                            b.store(final[i * NV + v], _gep(b, row, _c64(v * VW), T), align=size)
        with otherwise:
            tile = _alloca(b, ir.ArrayType(T, MR * NR))
            for i in range(MR):
                for v in range(NV):
                    b.store(final[i * NV + v], _gep(b, tile, _c64(i * NR + v * VW), T), align=size)
            def ei_step(i):
                crow = _gep(b, c, b.mul(i, ldc), T)
                trow = _gep(b, tile, b.mul(i, _c64(NR)), T)
                def ej_step(j):
                    val = b.load(_gep(b, trow, j, T), typ=T)
                    cp = _gep(b, crow, b.mul(j, csc), T)
                    old = b.load(cp, typ=T)
                    old = b.select(beta, old, ir.Constant(T, 0.0))
                    b.store(b.fadd(old, val), cp)
                loop_nest(b, [nrem], ej_step, test_first=True, names=["ej"])
            loop_nest(b, [mrem], ei_step, test_first=True, names=["ei"])
    b.ret_void()
    return fn


def _transpose_block(b, rows, vw):
    """Transpose len(rows) (a power of two <= vw) vectors of vw lanes with shuffles: returns
    len(rows) vectors holding, column after column, the rows' elements (column k of the block
    is elements k*len(rows) .. (k+1)*len(rows) - 1 of the result, concatenated)."""
    streams = [[r] for r in rows]
    g = 1
    while len(streams) > 1:
        nxt = []
        for x, y in zip(streams[0::2], streams[1::2]):
            z = []
            for xv, yv in zip(x, y, strict=True):
                z += _zip(b, xv, yv, g, vw)
            nxt.append(z)
        streams = nxt
        g *= 2
    return streams[0]


def _emit_pack_b(module, name, T, size, p: GemmParams):
    """void packb(i64 kc, i64 nc, T* b, i64 rsb, i64 csb, T* bp): NR-column panels (panel j at
    bp + j*kc*NR, B[k, j*NR + t] = b[k*rsb + (j*NR + t)*csb] at k*NR + t), the last one
    zero-padded. Row-major B (csb == 1) is read a row at a time; column-major B (rsb == 1, a
    transposed operand) VW x VW blocks at a time, transposed with shuffles; any other layout
    (and what is left of a column-major B) element by element."""
    fn = _kernel_fn(module, name, [I64, I64, PTR, I64, I64, PTR], p, size)
    kc, nc, src, rsb, csb, dst = fn.args
    src.add_attribute("noalias")
    dst.add_attribute("noalias")
    NR, VW = p.nr, p.vw
    vty = ir.VectorType(T, VW)
    zero = ir.Constant(T, 0.0)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    nfull = b.mul(b.sdiv(nc, _c64(NR)), _c64(NR))           # columns in full panels
    rowmajor = b.icmp_signed("==", csb, _c64(1))
    colmajor = b.and_(b.icmp_signed("==", rsb, _c64(1)), b.icmp_signed(">=", kc, _c64(VW)))
    kv = b.mul(b.sdiv(kc, _c64(VW)), _c64(VW))
    with b.if_else(rowmajor) as (rm, other):
        with rm:
            def k_step(k):
                s = _gep(b, src, b.mul(k, rsb), T)
                d = _gep(b, dst, b.mul(k, _c64(NR)), T)
                def j0_step(j0):
                    sj = _gep(b, s, j0, T)
                    dj = _gep(b, d, b.mul(j0, kc), T)
                    for v in range(NR // VW):
                        x = b.load(_gep(b, sj, _c64(v * VW), T), typ=vty, align=size)
                        b.store(x, _gep(b, dj, _c64(v * VW), T), align=size)
                loop_nest(b, [(0, nfull, NR)], j0_step, test_first=True, names=["j0"])
            loop_nest(b, [kc], k_step, test_first=True, names=["k"])
        with other:
            with b.if_then(colmajor):
                # full panels, the first kv rows: VW columns x VW rows per transpose
                def jt_step(j0):
                    panel = _gep(b, dst, b.mul(j0, kc), T)
                    def kt_step(k0):
                        def ht_step(h):
                            col = b.add(j0, h)
                            rows = [b.load(_gep(b, src, b.add(b.mul(b.add(col, _c64(t)), csb), k0), T),
                                           typ=vty, align=size) for t in range(VW)]
                            for j, v in enumerate(_transpose_block(b, rows, VW)):
                                at = b.add(b.mul(b.add(k0, _c64(j)), _c64(NR)), h)
                                b.store(v, _gep(b, panel, at, T), align=size)
                        loop_nest(b, [(0, NR, VW)], ht_step, test_first=True, names=["ht"])
                    loop_nest(b, [(0, kv, VW)], kt_step, test_first=True, names=["kt"])
                loop_nest(b, [(0, nfull, NR)], jt_step, test_first=True, names=["jt"])
    # what is left, element by element: row-major B's last panel; column-major B's rows past
    # kv of the full panels and its last panel; any other layout entirely
    k_from = b.select(rowmajor, kc, b.select(colmajor, kv, _c64(0)))
    def jg_step(j0):
        w = _smin(b, b.sub(nc, j0), _c64(NR))
        full = b.icmp_signed("==", w, _c64(NR))
        first = b.select(full, k_from, _c64(0))
        panel = _gep(b, dst, b.mul(j0, kc), T)
        def kg_step(k):
            d = _gep(b, panel, b.mul(k, _c64(NR)), T)
            def tg_step(t):
                inb = b.icmp_signed("<", t, w)
                at = b.add(b.mul(k, rsb), b.mul(b.select(inb, b.add(j0, t), j0), csb))
                v = b.load(_gep(b, src, at, T), typ=T)
                b.store(b.select(inb, v, zero), _gep(b, d, t, T))
            loop_nest(b, [NR], tg_step, test_first=True, names=["tg"])
        loop_nest(b, [(first, kc)], kg_step, test_first=True, names=["kg"])
    loop_nest(b, [(0, nc, NR)], jg_step, test_first=True, names=["jg"])
    b.ret_void()
    return fn


def _zip(b, x, y, g, vw):
    """Interleave vectors x, y (vw lanes) in chunks of g lanes: returns the two output vectors
    [x0 y0 x1 y1 ...] covering x's and y's first and second halves."""
    half = vw // 2
    out = []
    for base in (0, half):
        mask = []
        for c in range(half // g):
            mask += [base + c * g + t for t in range(g)]
            mask += [vw + base + c * g + t for t in range(g)]
        out.append(b.shuffle_vector(x, y, ir.Constant(ir.VectorType(I32, vw), mask)))
    return out


def _emit_pack_a(module, name, T, size, p: GemmParams):
    """void packa(i64 mc, i64 kc, T* a, i64 rsa, i64 csa, T* ap): MR-row panels, panel r at
    ap + r*MR*kc holding A[r*MR + i, k] = a[(r*MR + i)*rsa + k*csa] at k*MR + i (rows past mc
    are zero). Row-major A (csa == 1): full panels are transposed VW columns at a time with
    shuffles when MR is a power of two <= VW. Column-major A (rsa == 1, a transposed operand):
    each k's MR values are contiguous already. Other layouts: element by element."""
    fn = _kernel_fn(module, name, [I64, I64, PTR, I64, I64, PTR], p, size)
    mc, kc, src, lda, csa, dst = fn.args
    src.add_attribute("noalias")
    dst.add_attribute("noalias")
    MR, VW = p.mr, p.vw
    vty = ir.VectorType(T, VW)
    zero = ir.Constant(T, 0.0)
    pow2 = MR >= 2 and MR & (MR - 1) == 0
    shuffled = pow2 and MR <= VW
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    rowmajor = b.icmp_signed("==", csa, _c64(1))
    colmajor = b.icmp_signed("==", lda, _c64(1))
    def ip_step(i0):
        panel = _gep(b, dst, b.mul(i0, kc), T)
        h = _smin(b, b.sub(mc, i0), _c64(MR))
        isfull = b.icmp_signed("==", h, _c64(MR))
        with b.if_else(b.and_(isfull, rowmajor)) as (full, notrm):
            with full:
                rows = [_gep(b, src, b.mul(b.add(i0, _c64(i)), lda), T) for i in range(MR)]
                kv = _c64(0)
                if shuffled:
                    kv = b.mul(b.sdiv(kc, _c64(VW)), _c64(VW))
                    def kv_step(k):
                        loaded = [b.load(_gep(b, r, k, T), typ=vty, align=size) for r in rows]
                        d = _gep(b, panel, b.mul(k, _c64(MR)), T)
                        for j, v in enumerate(_transpose_block(b, loaded, VW)):
                            b.store(v, _gep(b, d, _c64(j * VW), T), align=size)
                    loop_nest(b, [(0, kv, VW)], kv_step, test_first=True, names=["kv"])
                def k_step(k):
                    d = _gep(b, panel, b.mul(k, _c64(MR)), T)
                    for i in range(MR):
                        b.store(b.load(_gep(b, rows[i], k, T), typ=T), _gep(b, d, _c64(i), T))
                loop_nest(b, [(kv, kc)], k_step, test_first=True, names=["k"])
            with notrm:
                with b.if_else(b.and_(isfull, colmajor)) as (cm, part):
                    with cm:
                        col = _gep(b, src, i0, T)
                        def kc_step(k):
                            s = _gep(b, col, b.mul(k, csa), T)
                            d = _gep(b, panel, b.mul(k, _c64(MR)), T)
                            if pow2:
                                mty = ir.VectorType(T, MR)
                                b.store(b.load(s, typ=mty, align=size), d, align=size)
                            else:
                                for i in range(MR):
                                    b.store(b.load(_gep(b, s, _c64(i), T), typ=T), _gep(b, d, _c64(i), T))
                        loop_nest(b, [kc], kc_step, test_first=True, names=["kc"])
                    with part:
                        # rows past mc read row i0 (in bounds) and store zeros
                        def kp_step(k):
                            d = _gep(b, panel, b.mul(k, _c64(MR)), T)
                            for i in range(MR):
                                inb = b.icmp_signed("<", _c64(i), h)
                                row = b.select(inb, b.add(i0, _c64(i)), i0)
                                v = b.load(_gep(b, src, b.add(b.mul(row, lda), b.mul(k, csa)), T), typ=T)
                                b.store(b.select(inb, v, zero), _gep(b, d, _c64(i), T))
                        loop_nest(b, [kc], kp_step, test_first=True, names=["kp"])
    loop_nest(b, [(0, mc, MR)], ip_step, test_first=True, names=["ip"])
    b.ret_void()
    return fn


def _emit_float_gemm(module, fname, dname, p: GemmParams):
    """`fname` (the strided entry, see `emit_gemm_strided`)."""
    Tcls, size = _TYPE[dname], ELEMENT_BYTES[dname]
    T = Tcls()
    uk = _emit_microkernel(module, fname + ".ukernel", T, size, p)
    packb = _emit_pack_b(module, fname + ".packb", T, size, p)
    packa = _emit_pack_a(module, fname + ".packa", T, size, p)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), _STRIDED_ARGS), fname)
    fn.attributes.add("nounwind")
    M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accum, scratch, epi, ctx = fn.args
    for a, n in zip(fn.args, "M N K A rsa csa B rsb csb C rsc csc accumulate scratch epi ctx".split(), strict=True):
        a.name = n
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ret = fn.append_basic_block("ret")
    body = fn.append_basic_block("body")
    empty = b.or_(b.icmp_signed("<=", M, _c64(0)), b.icmp_signed("<=", N, _c64(0)))
    b.cbranch(empty, ret, body)
    b.position_at_end(ret)
    b.ret_void()
    b.position_at_end(body)
    acc = b.icmp_signed("!=", accum, ir.Constant(I32, 0))
    kzero = b.icmp_signed("<=", K, _c64(0))
    with b.if_then(kzero):
        with b.if_then(b.not_(acc)):
            def zi_step(i):
                row = _gep(b, C, b.mul(i, rsc), T)
                def zj_step(j):
                    b.store(ir.Constant(T, 0.0), _gep(b, row, b.mul(j, csc), T))
                loop_nest(b, [N], zj_step, test_first=True, names=["zj"])
            loop_nest(b, [M], zi_step, test_first=True, names=["zi"])
        _call_epilogue(b, epi, ctx, _c64(0), _c64(0), M, N)
        b.ret_void()
    MR, NR, KC, MC, NC = p.mr, p.nr, p.kc, p.mc, p.nc
    # K in equal slices of at most KC (784 = 4 x 196, not 3 x 256 + 16)
    slices = b.sdiv(b.add(K, _c64(KC - 1)), _c64(KC))
    kcb = b.sdiv(b.add(K, b.sub(slices, _c64(1))), slices)
    # scratch: [A block: round_up(min(M, MC), MR) x kcb] [B block: round_up(min(N, NC), NR) x kcb]
    base = b.ptrtoint(scratch, I64)
    base = b.and_(b.add(base, _c64(63)), _c64(~63))
    mcp = b.mul(b.sdiv(b.add(_smin(b, M, _c64(MC)), _c64(MR - 1)), _c64(MR)), _c64(MR))
    abytes = b.mul(b.mul(mcp, kcb), _c64(size))
    abytes = b.and_(b.add(abytes, _c64(63)), _c64(~63))
    Ap = b.inttoptr(base, PTR)
    Bp = b.inttoptr(b.add(base, abytes), PTR)
    def jc_step(jc):
        nc = _smin(b, b.sub(N, jc), _c64(NC))
        def pc_step(pc):
            kc = _smin(b, b.sub(K, pc), kcb)
            b.call(packb, [kc, nc, _gep(b, B, b.add(b.mul(pc, rsb), b.mul(jc, csb)), T), rsb, csb, Bp])
            beta = b.or_(acc, b.icmp_signed(">", pc, _c64(0)))
            last = b.icmp_signed(">=", b.add(pc, kc), K)
            def ic_step(ic):
                mc = _smin(b, b.sub(M, ic), _c64(MC))
                b.call(packa, [mc, kc, _gep(b, A, b.add(b.mul(ic, rsa), b.mul(pc, csa)), T), rsa, csa, Ap])
                def jr_step(jr):
                    bpan = _gep(b, Bp, b.mul(jr, kc), T)
                    nrem = _smin(b, b.sub(nc, jr), _c64(NR))
                    ccol = b.mul(b.add(jc, jr), csc)
                    def ir_step(ir_):
                        apan = _gep(b, Ap, b.mul(ir_, kc), T)
                        mrem = _smin(b, b.sub(mc, ir_), _c64(MR))
                        cptr = _gep(b, C, b.add(b.mul(b.add(ic, ir_), rsc), ccol), T)
                        b.call(uk, [kc, apan, bpan, cptr, rsc, csc, beta, mrem, nrem])
                    loop_nest(b, [(0, mc, MR)], ir_step, test_first=True, names=["ir"])
                    # this column of tiles is final: the epilogue reads it while it is in L1
                    with b.if_then(last):
                        _call_epilogue(b, epi, ctx, ic, b.add(jc, jr), mc, nrem)
                loop_nest(b, [(0, nc, NR)], jr_step, test_first=True, names=["jr"])
            loop_nest(b, [(0, M, MC)], ic_step, test_first=True, names=["ic"])
        loop_nest(b, [(0, K, kcb)], pc_step, test_first=True, names=["pc"])
    loop_nest(b, [(0, N, NC)], jc_step, test_first=True, names=["jc"])
    b.ret_void()
    return fn


# ----------------------------------------------------------------------------------------------
# integer / bool GEMM: i-k-j loops, the j loop contiguous (LLVM vectorises it)
# ----------------------------------------------------------------------------------------------

def _emit_int_gemm(module, fname, dname):
    Tcls, size = _TYPE[dname], ELEMENT_BYTES[dname]
    T = Tcls()
    is_bool = dname == "bool"
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), _STRIDED_ARGS), fname)
    fn.attributes.add("nounwind")
    M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accum, scratch, epi, ctx = fn.args
    for a, n in zip(fn.args, "M N K A rsa csa B rsb csb C rsc csc accumulate scratch epi ctx".split(), strict=True):
        a.name = n
    for a in (A, B, C):
        a.add_attribute("noalias")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    acc = b.icmp_signed("!=", accum, ir.Constant(I32, 0))
    zero = ir.Constant(T, 0)
    def i_step(i):
        crow = _gep(b, C, b.mul(i, rsc), T)
        arow = _gep(b, A, b.mul(i, rsa), T)
        with b.if_then(b.not_(acc)):
            def zj_step(j):
                b.store(zero, _gep(b, crow, b.mul(j, csc), T))
            loop_nest(b, [N], zj_step, test_first=True, names=["zj"])
        def k_step(k):
            a = b.load(_gep(b, arow, b.mul(k, csa), T), typ=T)
            brow = _gep(b, B, b.mul(k, rsb), T)
            if is_bool:
                a = b.zext(b.icmp_unsigned("!=", a, zero), T)     # 0/1
            def j_step(j):
                bp = _gep(b, brow, b.mul(j, csb), T)
                cp = _gep(b, crow, b.mul(j, csc), T)
                bv = b.load(bp, typ=T)
                cv = b.load(cp, typ=T)
                if is_bool:
                    nz = b.zext(b.icmp_unsigned("!=", bv, zero), T)
                    cnz = b.zext(b.icmp_unsigned("!=", cv, zero), T)
                    b.store(b.or_(cnz, b.and_(a, nz)), cp)
                else:
                    b.store(b.add(cv, b.mul(a, bv)), cp)
            loop_nest(b, [N], j_step, test_first=True, names=["j"])
        loop_nest(b, [K], k_step, test_first=True, names=["k"])
    loop_nest(b, [M], i_step, test_first=True, names=["i"])
    _call_epilogue(b, epi, ctx, _c64(0), _c64(0), M, N)
    b.ret_void()
    return fn


# ----------------------------------------------------------------------------------------------
# public
# ----------------------------------------------------------------------------------------------

_STRIDED_ARGS = [I64, I64, I64, PTR, I64, I64, PTR, I64, I64, PTR, I64, I64, I32, PTR, PTR, PTR]
EPILOGUE_TYPE = ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64, I64])


class _FunctionPointer:
    """A pointer value called as a function of type `function_type` (llvmlite's call wants
    the callee's type, which an opaque pointer does not carry)."""

    def __init__(self, value, function_type):
        self.value, self.function_type, self.type = value, function_type, value.type

    def get_reference(self):
        return self.value.get_reference()


def _call_epilogue(b, epi, ctx, i0, j0, m, n):
    """epi(ctx, i0, j0, m, n) unless epi is null."""
    with b.if_then(b.icmp_unsigned("!=", b.ptrtoint(epi, I64), _c64(0))):
        b.call(_FunctionPointer(epi, EPILOGUE_TYPE), [ctx, i0, j0, m, n])


def _suffix(vector_bits, num_regs, params) -> str:
    if params is None:
        return "" if vector_bits is None and num_regs is None else ".v%d_%d" % (
            vector_bits or 0, num_regs or 0)
    return ".p%d_%d_%d_%d_%d_%d" % (params.mr, params.nr, params.vw, params.kc, params.mc,
                                    params.nc)


def emit_gemm_strided(module: ir.Module, dtype, *, vector_bits: int | None = None,
                      num_regs: int | None = None, params: GemmParams | None = None) -> ir.Function:
    """Add (once) and return `fnx.gemm_strided.<dtype>` (see the module docstring)."""
    dname = dtype_name(dtype)
    fname = "fnx.gemm_strided.%s%s" % (dname, _suffix(vector_bits, num_regs, params))
    fn = module.globals.get(fname)
    if fn is not None:
        return fn
    if dname in ("float32", "float64"):
        p = params or gemm_params(dname, vector_bits, num_regs)
        return _emit_float_gemm(module, fname, dname, p)
    return _emit_int_gemm(module, fname, dname)


def emit_gemm(module: ir.Module, dtype, *, vector_bits: int | None = None,
              num_regs: int | None = None, params: GemmParams | None = None) -> ir.Function:
    """Add `fnx.gemm.<dtype>` (see the module docstring for the signature) to `module` unless it
    is there already, and return it. `vector_bits` / `num_regs` override the host's vector
    width and register count (e.g. to build AVX2 or NEON-shaped kernels); `params` overrides
    the whole blocking (then `gemm_scratch_bytes` must be given the same params)."""
    dname = dtype_name(dtype)
    fname = "fnx.gemm.%s%s" % (dname, _suffix(vector_bits, num_regs, params))
    fn = module.globals.get(fname)
    if fn is not None:
        return fn
    inner = emit_gemm_strided(module, dname, vector_bits=vector_bits, num_regs=num_regs,
                              params=params)
    def forward(args, one, null):
        M, N, K, A, lda, B, ldb, C, ldc, accum, scratch = args
        return [M, N, K, A, lda, one, B, ldb, one, C, ldc, one, accum, scratch, null, null]
    return _unit_stride_entry(module, fname, [I64, I64, I64, PTR, I64, PTR, I64, PTR, I64, I32, PTR],
                              inner, forward)


def _unit_stride_entry(module: ir.Module, fname: str, arg_types: list, inner: ir.Function,
                       forward) -> ir.Function:
    """`fname(*args)`: one call of the strided `inner` on `forward(args, one, null)` (unit
    column strides, no epilogue): the row-major entries over the strided kernels."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), arg_types), fname)
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.call(inner, forward(fn.args, _c64(1), ir.Constant(PTR, None)))
    b.ret_void()
    return fn


def emit_gemm_batched(module: ir.Module, dtype, **kw) -> ir.Function:
    """Add and return `fnx.gemm_batched.<dtype>` (see the module docstring)."""
    dname = dtype_name(dtype)
    inner = emit_gemm_strided_batched(module, dname, **kw)
    fname = inner.name.replace("fnx.gemm_strided_batched.", "fnx.gemm_batched.", 1)
    fn = module.globals.get(fname)
    if fn is not None:
        return fn
    def forward(args, one, null):
        batch, M, N, K, A, sa, lda, B, sb, ldb, C, sc, ldc, accum, scratch = args
        return [batch, M, N, K, A, sa, lda, one, B, sb, ldb, one, C, sc, ldc, one, accum, scratch,
                null, null]
    return _unit_stride_entry(
        module, fname, [I64, I64, I64, I64, PTR, I64, I64, PTR, I64, I64, PTR, I64, I64, I32, PTR],
        inner, forward)


def emit_gemm_strided_batched(module: ir.Module, dtype, **kw) -> ir.Function:
    """Add and return `fnx.gemm_strided_batched.<dtype>` (see the module docstring)."""
    dname = dtype_name(dtype)
    inner = emit_gemm_strided(module, dname, **kw)
    fname = inner.name.replace("fnx.gemm_strided.", "fnx.gemm_strided_batched.", 1)
    fn = module.globals.get(fname)
    if fn is not None:
        return fn
    T = _TYPE[dname]()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [I64] * 4 + [PTR] + [I64] * 3 + [PTR]
                                             + [I64] * 3 + [PTR] + [I64] * 3 + [I32, PTR]), fname)
    fn.attributes.add("nounwind")
    (batch, M, N, K, A, sa, rsa, csa, B, sb, rsb, csb, C, sc, rsc, csc, accum, scratch) = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    null = ir.Constant(PTR, None)
    def bt_step(t):
        b.call(inner, [M, N, K, _gep(b, A, b.mul(t, sa), T), rsa, csa, _gep(b, B, b.mul(t, sb), T),
                       rsb, csb, _gep(b, C, b.mul(t, sc), T), rsc, csc, accum, scratch, null, null])
    loop_nest(b, [batch], bt_step, test_first=True, names=["bt"])
    b.ret_void()
    return fn
