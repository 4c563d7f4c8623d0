"""fnx.backends.cpu.emit.matmul: the packed GEMM against numpy for every dtype, many shapes (hypothesis
over small M, N, K including 0, 1 and odd sizes; block-boundary sizes; 256^3 and 1024^3 once),
strided operands, the accumulate flag, and no reads or writes outside the operands' windows.

Float tolerance: |C - ref| <= 2 * K * eps * (|A| @ |B|) + tiny, elementwise (the textbook bound
for a length-K dot product is K * eps * sum|a_k b_k|; any summation order meets it), with the
reference computed in float64 (float32 inputs) or longdouble (float64 inputs, small sizes).

`python tests/backends/test_matmul.py` prints the GFLOP/s benchmark (benchmarks/bench_kernels_mathlib.py).
"""
from __future__ import annotations

import ctypes
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import llvmlite.binding as llvm  # noqa: E402
from llvmlite import ir  # noqa: E402

from fnx.backends.cpu.emit import matmul as MM  # noqa: E402

llvm.initialize_native_target()
llvm.initialize_native_asmprinter()

DTYPES = ("float32", "float64", "int32", "uint32", "int64", "bool")
# (vector_bits, num_regs) shapes of the float kernel: host, AVX2-like, 128-bit with 32 regs
SHAPES = [None, (256, 16), (128, 32)]


def _target_machine():
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten() + ",-prefer-256-bit",
        opt=3, jit=True)


class Gemm:
    """Every dtype (and the float kernels for other vector widths) in one JIT module."""

    def __init__(self):
        mod = ir.Module(name="gemm_test")
        self.fns = {}
        for d in DTYPES:
            self.fns[(d, None)] = MM.emit_gemm(mod, d).name
            self.fns[(d, "batched")] = MM.emit_gemm_batched(mod, d).name
        for d in ("float32", "float64"):
            for shp in SHAPES[1:]:
                self.fns[(d, shp)] = MM.emit_gemm(mod, d, vector_bits=shp[0], num_regs=shp[1]).name
        tm = _target_machine()
        m = llvm.parse_assembly(str(mod))
        m.triple = tm.triple
        m.data_layout = str(tm.target_data)
        m.verify()
        pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(3))
        pb.getModulePassManager().run(m, pb)
        self.engine = llvm.create_mcjit_compiler(m, _target_machine())
        self.engine.finalize_object()
        self._c = {}

    def cfunc(self, dtype, shape=None):
        key = (dtype, shape)
        if key not in self._c:
            addr = self.engine.get_function_address(self.fns[key])
            if shape == "batched":
                argt = [ctypes.c_int64] * 4 + [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64] * 3
            else:
                argt = [ctypes.c_int64] * 3 + [ctypes.c_void_p, ctypes.c_int64] * 3
            self._c[key] = ctypes.CFUNCTYPE(None, *argt, ctypes.c_int32, ctypes.c_void_p)(addr)
        return self._c[key]

    def __call__(self, A, B, C, accumulate=False, shape=None):
        """C (a view, possibly strided) <- / += A @ B; A, B views with unit inner stride."""
        dt = A.dtype.name
        M, K = A.shape
        N = B.shape[1]
        it = A.dtype.itemsize
        for X in (A, B, C):
            assert X.strides[1] == it or X.shape[1] <= 1
        lda, ldb, ldc = (max(1, X.strides[0] // it) for X in (A, B, C))
        kw = {} if shape is None else dict(vector_bits=shape[0], num_regs=shape[1])
        nbytes = MM.gemm_scratch_bytes(M, N, K, dt, **kw)
        scratch = np.empty(max(nbytes, 1), np.uint8)
        self.cfunc(dt, shape)(M, N, K, A.ctypes.data, lda, B.ctypes.data, ldb, C.ctypes.data, ldc,
                              int(accumulate), scratch.ctypes.data if nbytes else 0)
        return C


@pytest.fixture(scope="module")
def gemm():
    return Gemm()


def _np_dtype(d):
    return np.dtype(d)


def _rand(rng, shape, d):
    dt = _np_dtype(d)
    if d == "bool":
        return rng.random(shape) < 0.4
    if dt.kind == "f":
        return rng.standard_normal(shape).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)


def _embedded(rng, rows, cols, d, pad_rows=2, pad_cols=3, fill=None):
    """A rows x cols view inside a bigger array (guard cells around, extra row stride)."""
    dt = _np_dtype(d)
    big = np.empty((rows + 2 * pad_rows, cols + 2 * pad_cols + 1), dt)
    if fill is None:
        big[...] = np.nan if dt.kind == "f" else (np.iinfo(dt).max // 3 if dt.kind in "iu" else True)
    else:
        big[...] = fill
    view = big[pad_rows:pad_rows + rows, pad_cols:pad_cols + cols]
    view[...] = _rand(rng, (rows, cols), d)
    return big, view


def _reference(A, B, d):
    if d == "bool":
        return (A.astype(np.int64) @ B.astype(np.int64)) > 0
    dt = _np_dtype(d)
    if dt.kind in "iu":
        return (A.astype(np.int64) @ B.astype(np.int64)).astype(dt)   # wraps like C
    hi = np.float64 if d == "float32" or A.shape[0] * B.shape[1] * A.shape[1] > 2e7 else np.longdouble
    return A.astype(hi) @ B.astype(hi)


def _check(got, A, B, d, C0=None):
    ref = _reference(A, B, d)
    if C0 is not None:
        ref = (ref | C0) if d == "bool" else (ref + C0.astype(ref.dtype)).astype(ref.dtype)
    dt = _np_dtype(d)
    if dt.kind != "f":
        np.testing.assert_array_equal(got, ref)
        return
    K = A.shape[1]
    eps = np.finfo(dt).eps
    bound = np.abs(A).astype(np.float64) @ np.abs(B).astype(np.float64)
    if C0 is not None:
        bound = bound + np.abs(C0)
    tol = 2 * (K + 1) * eps * bound + np.finfo(dt).tiny
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    assert np.all(err <= tol), f"max err {err.max()} vs tol {tol[np.unravel_index(np.argmax(err - tol), err.shape)]}"


def _run_case(gemm, rng, d, M, N, K, accumulate=False, shape=None, pads=(2, 3)):
    Abig, A = _embedded(rng, M, K, d, *pads)
    Bbig, B = _embedded(rng, K, N, d, *pads)
    Cbig, C = _embedded(rng, M, N, d, *pads)
    A_before, B_before = Abig.copy(), Bbig.copy()
    C0 = C.copy()
    outside = np.ones(Cbig.shape, bool)
    outside[pads[0]:pads[0] + M, pads[1]:pads[1] + N] = False
    guard = Cbig[outside].copy()
    gemm(A, B, C, accumulate=accumulate, shape=shape)
    # inputs untouched, nothing written outside C's window (NaN guards compare as equal)
    np.testing.assert_array_equal(Abig, A_before)
    np.testing.assert_array_equal(Bbig, B_before)
    np.testing.assert_array_equal(Cbig[outside], guard)
    if K == 0:
        want = C0 if accumulate else np.zeros_like(C0)
        np.testing.assert_array_equal(C, want)
        return
    _check(C, A, B, d, C0 if accumulate else None)


@pytest.mark.parametrize("d", DTYPES)
def test_small_shapes_exhaustive(gemm, d):
    rng = np.random.default_rng(0)
    for M in (0, 1, 2, 5, 8, 9):
        for N in (0, 1, 3, 16, 17, 33):
            for K in (0, 1, 2, 7):
                _run_case(gemm, rng, d, M, N, K, accumulate=bool((M + N + K) % 2))


@settings(deadline=None, max_examples=60)
@given(d=st.sampled_from(DTYPES), M=st.integers(0, 40), N=st.integers(0, 70), K=st.integers(0, 40),
       accumulate=st.booleans(), shape=st.sampled_from(SHAPES), seed=st.integers(0, 2 ** 16))
def test_random_shapes(gemm, d, M, N, K, accumulate, shape, seed):
    if d not in ("float32", "float64"):
        shape = None
    _run_case(gemm, np.random.default_rng(seed), d, M, N, K, accumulate, shape)


@pytest.mark.parametrize("d", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
def test_block_boundaries(gemm, d, shape):
    """Sizes around the MR/NR tiles and the KC/MC blocks (several K slices and M blocks)."""
    kw = {} if shape is None else dict(vector_bits=shape[0], num_regs=shape[1])
    p = MM.gemm_params(d, **kw)
    rng = np.random.default_rng(1)
    for M, N, K in [(p.mc + 1, p.nr * 2 + 1, p.kc + 1), (p.mr * 3, p.nr, 2 * p.kc + 3),
                    (2 * p.mc + p.mr - 1, 3 * p.nr - 1, p.kc - 1), (1, 300, 600), (300, 1, 513)]:
        _run_case(gemm, rng, d, M, N, K, accumulate=False, shape=shape)
        _run_case(gemm, rng, d, M, N, K, accumulate=True, shape=shape)


def test_wide_n_spans_several_nc_blocks(gemm):
    p = MM.gemm_params("float32")
    _run_case(gemm, np.random.default_rng(2), "float32", 9, p.nc + 37, 20)


@pytest.mark.parametrize("d", ["float32", "float64"])
def test_large_square(gemm, d):
    rng = np.random.default_rng(4)
    for n in (256, 1024):
        A = rng.standard_normal((n, n)).astype(d)
        B = rng.standard_normal((n, n)).astype(d)
        C = np.full((n, n), np.nan, d)
        gemm(A, B, C)
        ref = A.astype(np.float64) @ B.astype(np.float64)
        eps = np.finfo(d).eps
        tol = 2 * (n + 1) * eps * (np.abs(A).astype(np.float64) @ np.abs(B).astype(np.float64))
        assert np.all(np.abs(C - ref) <= tol)


def test_transposed_views_and_leading_dims(gemm):
    """lda/ldb/ldc larger than the row length (slices of bigger matrices)."""
    rng = np.random.default_rng(6)
    big = rng.standard_normal((100, 120)).astype(np.float32)
    A = big[3:40, 5:70]          # 37 x 65, lda 120
    B = big[10:75, 50:110]       # 65 x 60, ldb 120
    out = np.zeros((50, 200), np.float32)
    C = out[7:44, 11:71]         # 37 x 60, ldc 200
    gemm(A, B, C)
    _check(C, A, B, "float32")
    assert not out[:7].any() and not out[44:].any() and not out[:, :11].any() and not out[:, 71:].any()


def test_batched(gemm):
    rng = np.random.default_rng(8)
    for d in ("float32", "int64"):
        bt, M, N, K = 3, 13, 35, 17
        A = _rand(rng, (bt, M, K), d)
        B = _rand(rng, (bt, K, N), d)
        C = np.zeros((bt, M, N), _np_dtype(d))
        nbytes = MM.gemm_scratch_bytes(M, N, K, d)
        scratch = np.empty(max(nbytes, 1), np.uint8)
        gemm.cfunc(d, "batched")(bt, M, N, K, A.ctypes.data, M * K, K, B.ctypes.data, K * N, N,
                                 C.ctypes.data, M * N, N, 0, scratch.ctypes.data)
        for t in range(bt):
            _check(C[t], A[t], B[t], d)
        # stride 0 broadcasts B over the batch
        C[...] = 0
        gemm.cfunc(d, "batched")(bt, M, N, K, A.ctypes.data, M * K, K, B.ctypes.data, 0, N,
                                 C.ctypes.data, M * N, N, 0, scratch.ctypes.data)
        for t in range(bt):
            _check(C[t], A[t], B[0], d)


def test_int_wraparound_and_bool(gemm):
    A = np.array([[2 ** 31 - 1, 2]], np.int32)
    B = np.array([[2], [3]], np.int32)
    C = np.zeros((1, 1), np.int32)
    gemm(A, B, C)
    assert C[0, 0] == np.int32(np.int64(2 ** 31 - 1) * 2 + 6 - 2 ** 32)
    A = np.array([[True, False], [False, False]])
    B = np.array([[True, True], [True, False]])
    C = np.zeros((2, 2), bool)
    gemm(A, B, C)
    np.testing.assert_array_equal(C, A @ B)
    C[...] = True
    gemm(A, B, C, accumulate=True)
    assert C.all()


class StridedGemm:
    """`fnx.gemm_strided.<dtype>` for every dtype (and the float kernels of other widths)."""

    def __init__(self):
        mod = ir.Module(name="gemm_strided_test")
        self.fns = {}
        for d in DTYPES:
            self.fns[(d, None)] = MM.emit_gemm_strided(mod, d).name
        for d in ("float32", "float64"):
            for shp in SHAPES[1:]:
                self.fns[(d, shp)] = MM.emit_gemm_strided(mod, d, vector_bits=shp[0],
                                                          num_regs=shp[1]).name
        tm = _target_machine()
        m = llvm.parse_assembly(str(mod))
        m.triple = tm.triple
        m.data_layout = str(tm.target_data)
        m.verify()
        pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(3))
        pb.getModulePassManager().run(m, pb)
        self.engine = llvm.create_mcjit_compiler(m, _target_machine())
        self.engine.finalize_object()
        argt = [ctypes.c_int64] * 3 + [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64] * 3 + \
            [ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self.c = {k: ctypes.CFUNCTYPE(None, *argt)(self.engine.get_function_address(v))
                  for k, v in self.fns.items()}

    def __call__(self, A, B, C, accumulate=False, shape=None):
        """C <- / += A @ B for any strided views (no overlap between C and A, B)."""
        dt = A.dtype.name
        M, K = A.shape
        N = B.shape[1]
        it = A.dtype.itemsize
        st = [(X.strides[0] // it, X.strides[1] // it) for X in (A, B, C)]
        kw = {} if shape is None else dict(vector_bits=shape[0], num_regs=shape[1])
        nbytes = MM.gemm_scratch_bytes(M, N, K, dt, **kw)
        scratch = np.full(nbytes + 512, 0xAB, np.uint8)
        self.c[(dt, shape)](M, N, K, A.ctypes.data, *st[0], B.ctypes.data, *st[1], C.ctypes.data,
                            *st[2], int(accumulate), scratch.ctypes.data + 256, None, None)
        assert (scratch[:256] == 0xAB).all() and (scratch[256 + nbytes:] == 0xAB).all()
        return C


@pytest.fixture(scope="module")
def strided():
    return StridedGemm()


def _layout(rng, rows, cols, d, transposed, pad=3):
    """A rows x cols view, row- or column-major, inside a bigger array with guard cells."""
    r, c = (cols, rows) if transposed else (rows, cols)
    big, view = _embedded(rng, r, c, d, pad, pad)
    return big, (view.T if transposed else view)


@pytest.mark.parametrize("d", DTYPES)
def test_strided_layouts(strided, d):
    """Transposed (column-major) A, B and C, alone and together, at tile and block edges."""
    rng = np.random.default_rng(9)
    p = MM.gemm_params("float32")
    sizes = [(5, 17, 7), (p.mr * 2 + 1, p.nr + 3, p.vw + 5), (1, 1, 1), (0, 4, 3), (3, 4, 0),
             (37, 70, 300), (9, 33, 16)]
    for M, N, K in sizes:
        for ta in (False, True):
            for tb in (False, True):
                for tc in (False, True):
                    accumulate = (ta + tb + tc) % 2 == 1
                    Abig, A = _layout(rng, M, K, d, ta)
                    Bbig, B = _layout(rng, K, N, d, tb)
                    Cbig, C = _layout(rng, M, N, d, tc)
                    a0, b0, c0 = Abig.copy(), Bbig.copy(), C.copy()
                    outside = np.ones(Cbig.shape, bool)
                    inner = outside[3:3 + (N if tc else M), 3:3 + (M if tc else N)]
                    inner[...] = False
                    guard = Cbig[outside].copy()
                    strided(A, B, C, accumulate)
                    np.testing.assert_array_equal(Abig, a0)
                    np.testing.assert_array_equal(Bbig, b0)
                    np.testing.assert_array_equal(Cbig[outside], guard)
                    if K == 0:
                        np.testing.assert_array_equal(C, c0 if accumulate else np.zeros_like(c0))
                    else:
                        _check(C, A, B, d, c0 if accumulate else None)


@pytest.mark.parametrize("shape", SHAPES[1:])
def test_strided_layouts_other_widths(strided, shape):
    rng = np.random.default_rng(10)
    for d in ("float32", "float64"):
        for M, N, K in [(13, 20, 40), (7, 9, 33)]:
            for ta, tb in [(False, True), (True, False), (True, True)]:
                _, A = _layout(rng, M, K, d, ta)
                _, B = _layout(rng, K, N, d, tb)
                C = np.zeros((M, N), d)
                _check(strided(A, B, C, shape=shape), A, B, d)


def test_scratch_is_bounded():
    for d in ("float32", "float64"):
        p = MM.gemm_params(d)
        size = np.dtype(d).itemsize
        cap = (p.mc + p.nc + 2 * p.nr) * p.kc * size + 256
        assert MM.gemm_scratch_bytes(10 ** 6, 10 ** 6, 10 ** 6, d) <= cap
        assert MM.gemm_scratch_bytes(0, 5, 5, d) == 0
        assert MM.gemm_scratch_bytes(3, 5, 7, d) > 0
    for d in ("int32", "int64", "uint32", "bool"):
        assert MM.gemm_scratch_bytes(100, 100, 100, d) == 0
    with pytest.raises(ValueError, match="unsupported dtype"):
        MM.emit_gemm(ir.Module(), "complex64")


def test_microkernel_keeps_tile_in_registers():
    """The float microkernel's k loop is FMAs on full-width vectors with no stack traffic."""
    mod = ir.Module(name="uk")
    MM.emit_gemm(mod, "float32")
    tm = _target_machine()
    m = llvm.parse_assembly(str(mod))
    m.triple = tm.triple
    m.data_layout = str(tm.target_data)
    pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(3))
    pb.getModulePassManager().run(m, pb)
    asm = tm.emit_assembly(m)
    feats = llvm.get_host_cpu_features()
    reg = "zmm" if feats.get("avx512f", False) else ("ymm" if feats.get("avx2", False) else None)
    if reg is None:
        pytest.skip("no AVX2/AVX-512 on this host")
    body = asm[asm.index("ukernel:"):]
    body = body[:body.index(".Lfunc_end")]
    # the innermost loop: the block with the most FMAs
    blocks = body.split("\n.LBB")
    loop = max(blocks, key=lambda blk: blk.count("vfmadd"))
    p = MM.gemm_params("float32")
    assert loop.count("vfmadd") >= p.mr * (p.nr // p.vw)
    assert reg in loop and "rsp" not in loop and "rbp)" not in loop


if __name__ == "__main__":
    import runpy
    runpy.run_path(str(pathlib.Path(__file__).resolve().parents[2] / "benchmarks/bench_kernels_mathlib.py"),
                   run_name="__main__")


