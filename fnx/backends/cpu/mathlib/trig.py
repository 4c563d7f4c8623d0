"""sin, cos, tan.

Scalar x becomes a call to an internal function `fnx_mathlib_<name>_<f32|f64>` whose
"vector-function-abi-variant" attribute names vector variants for 2..32 (float32) or 2..16
(float64) lanes (weak_odr functions `..._v<N>` added to the module). The loop vectoriser replaces
the scalar call by the variant, so the loop is SIMD; each variant runs the Cody-Waite path on all
lanes and branches, only when some lane has a huge argument (float32 |x| >= 2^16, float64
|x| >= 2^40), to the Payne-Hanek reduction (`pio2`), so the common case pays one compare for it.
Vector x of other widths get the branch-free version (both reductions computed, selected per
lane).

The default O3 pipeline has no inliner after the loop vectoriser, so the vectorised loop keeps a
call per vector (caller-saved zmm spilled, the variant's constants rematerialised): the W1 loop
tanh(x)*sin(x) + 0.5*exp(-x*x) takes ~1.25 ns/element so, ~0.9 with the variant inlined
(benchmarks/bench_kernels_mathlib.py chain). The variants are marked alwaysinline; a backend
that runs llvmlite's always-inliner (then instcombine, simplifycfg) after O3 gets them inlined::

    mpm = llvm.create_new_module_pass_manager()
    mpm.add_always_inliner_pass(); mpm.add_instruction_combine_pass(); mpm.add_simplify_cfg_pass()
    mpm.run(module, pass_builder)

float32 sin/cos (|x| < 2^16): r = x - n*pi/2 as a float32 double-word (exact first step, the n*P2
product split by fma, Fast2Sum), sin and cos kernels of degree 7 and 8 evaluated on every lane
and the quadrant's picked, inf/NaN giving NaN by themselves: 29 instructions to the
huge-argument branch. float32 tan and the huge-argument reduction run in float64.
"""
from __future__ import annotations

import math

from llvmlite import ir

from .dsl import Ctx, Float, Int, finish, fma, magic_round, mangle, nan, poly, select
from .coefficients import COEFFS
from .constants import TWO_OVER_PI
from .pio2 import PIO2_32, rem_pio2_32, rem_pio2_64, rem_pio2_cw


def _sin_k64(rh, rl):
    z = rh * rh
    v = z * rh
    p = poly(z, COEFFS["SIN64"])
    return rh + fma(v, p, fma(-0.5 * z, rl, rl))


def _cos_k64(rh, rl):
    z = rh * rh
    hz = 0.5 * z
    w = 1.0 - hz
    r = z * z * poly(z, COEFFS["COS64"])
    return w + (((1.0 - w) - hz) + (r - rh * rl))


def _sin_k32(r, rl):
    z = r * r
    return r + fma(r * z, poly(z, COEFFS["SIN32"]), rl)


def _cos_k32(r, rl):
    z = r * r
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + fma(z * z, poly(z, COEFFS["COS32"]), -(r * rl)))


def _trig_reduce(x):
    """float64: (q, s, c) with s = sin(r), c = cos(r), x = q*pi/2 + r; x finite (sanitised).
    (float32 sin/cos: _sincos32 below.)"""
    q, rh, rl = rem_pio2_64(x)
    return q, _sin_k64(rh, rl), _cos_k64(rh, rl)


def _trig_finish(x, res, keep_zero=True):
    """inf -> NaN, NaN passed through, and (keep_zero: sin, tan) x = +-0 -> x."""
    c = x.c
    res = select(x.abs().eq(math.inf), nan(c), res)
    return finish(x, res, keep_zero=keep_zero)


def _sanitize(x):
    c = x.c
    return select(x.abs() < math.inf, x, c.f(0.0))      # inf/nan -> 0 (fixed up at the end)


def _quadrant(name, q, s, co):
    if name == "sin":
        res = select((q & 1).ne(0), co, s)
        return select((q & 2).ne(0), -res, res)
    res = select((q & 1).ne(0), s, co)
    return select(((q + 1) & 2).ne(0), -res, res)


def _sincos64(name, x):
    q, s, co = _trig_reduce(_sanitize(x))
    return _trig_finish(x, _quadrant(name, q, s, co), keep_zero=name == "sin")


def tan(x: Float) -> Float:
    """tan, branch-free (float32: reduced and evaluated in float64)."""
    c = x.c
    xs = _sanitize(x)
    if c.is64:
        q, rh, rl = rem_pio2_64(xs)
        return _tan_finish(x, q, rh, rl)
    q32, r64 = rem_pio2_32(xs)
    c64 = r64.c
    q = Int(c64, c.b.sext(q32.v, c64.ity))
    return _tan_finish(x, q, r64, c64.f(0.0)).convert(c)


def _tan_quotient(q, s, co):
    """tan in quadrant q from s = sin(r), co = cos(r)."""
    odd = (q & 1).ne(0)
    return select(odd, -co, s) / select(odd, s, co)


def _tan_finish(x, q, rh, rl):
    res = _tan_quotient(q, _sin_k64(rh, rl), _cos_k64(rh, rl))
    return _trig_finish(x.convert(res.c), res)


# Cody-Waite-only versions (|x| below _trig_limit), the common case of the out-of-line
# functions below.
def _trig_limit(c):
    return 2.0 ** 40 if c.is64 else 2.0 ** 16


def _trig_fast(name, x):
    c = x.c
    xs = select(x.abs() < _trig_limit(c), x, c.f(0.0))
    nf, rh, rl = rem_pio2_cw(xs)
    q = nf.toi()
    if name == "tan":
        if c.is64:
            return _tan_finish(x, q, rh, rl)
        return _trig_finish(x, _tan_quotient(q, _sin_k32(rh, rl), _cos_k32(rh, rl)))
    s, co = _sin_k64(rh, rl), _cos_k64(rh, rl)             # float64 (float32: _sincos32_fast)
    return _trig_finish(x, _quadrant(name, q, s, co), keep_zero=name == "sin")


# float32 sin/cos: a Cody-Waite reduction by pi/2 done in float32 as a double-word rh + rl, both
# kernels (sin and cos of r) and a per-lane pick, no float->int conversion (the quadrant comes
# from the bits of the magic-number rounding), signs applied by xor. |x| < 2**16 only; inf and
# NaN come out NaN by themselves (inf*0 in the reduction), huge |x| take the Payne-Hanek path.

def _sincos32_reduce(a):
    """a = |x| < 2**16 (float32) -> (q, rh, rl): a = n*pi/2 + rh + rl with |rh| <= pi/4 + 2**-20,
    |rl| <~ 2**-25 |rh| + 2**-33, q an Int whose two low bits are n mod 4.
    r1 = a - n*P1 is exact (a multiple of 2**-24 of magnitude < 1); n*P2 = vh + vl exactly
    (fma); r1 - vh is split exactly by Fast2Sum, which holds here although |r1| may be below
    |vh|, because r1 is a multiple of ulp(vh) (<= 2**-33)."""
    P1, P2, P3 = PIO2_32
    nb, n = magic_round(a, TWO_OVER_PI)
    r1 = fma(-n, P1, a)
    vh = n * P2
    vl = fma(n, P2, -vh)
    rh = r1 - vh
    e = (r1 - rh) - vh
    rl = fma(-n, P3, e - vl)
    return nb.bits(), rh, rl


def _sincos32_kernels(rh, rl):
    """(sin, cos) of r = rh + rl, |r| <= pi/4 + 2**-20: sin = rh + (rh^3 S(rh^2) + rl); cos =
    1 + (r^2 rounded once) * C(rh^2), C = -1/2 + ..., with one final rounding (fma)."""
    z = rh * rh
    s = rh + fma(rh * z, poly(z, COEFFS["SIN32"]), rl)
    zp = fma(rh, rh, (rh + rh) * rl)
    co = fma(zp, poly(z, (-0.5,) + COEFFS["COS32"]), 1.0)
    return s, co


def _sincos32_pick(name, q, s, co, x):
    """The quadrant's kernel and sign; sin is odd: its result takes x's sign as well (so that
    sin(-0) = -0; the kernels run on |x|)."""
    if name == "sin":
        res = select((q & 1).ne(0), co, s)
        sign = ((q << 30) ^ x.bits()) & (1 << 31)
    else:
        res = select((q & 1).ne(0), s, co)
        sign = ((q + 1) << 30) & (1 << 31)
    return (res.bits() ^ sign).asf()


def _sincos32_fast(name, x):
    """sin/cos for |x| < 2**16, NaN for inf/NaN; garbage (no poison) for other huge x."""
    q, rh, rl = _sincos32_reduce(x.abs())
    s, co = _sincos32_kernels(rh, rl)
    return _sincos32_pick(name, q, s, co, x)


def _sincos32_huge(name, x):
    """sin/cos for finite x, meant for |x| >= 2**16 (Payne-Hanek in float64, then the float32
    kernels)."""
    c = x.c
    q, r64 = rem_pio2_32(x.abs())
    rh = r64.convert(c)
    rl = (r64 - rh.convert(r64.c)).convert(c)
    s, co = _sincos32_kernels(rh, rl)
    return _sincos32_pick(name, q, s, co, x)


def _sincos32_with_huge(name, x, fast):
    """`fast` (the result of _sincos32_fast) with its finite huge lanes replaced by the
    Payne-Hanek result."""
    c = x.c
    a = x.abs()
    huge = (a >= _trig_limit(c)) & (a < math.inf)
    return select(huge, _sincos32_huge(name, select(huge, x, c.f(_trig_limit(c)))), fast)


def _sincos32(name, x):
    """Branch-free: both reductions, selected per lane."""
    return _sincos32_with_huge(name, x, _sincos32_fast(name, x))


def sin(x: Float) -> Float:
    """sin, branch-free (the out-of-line functions of `emit_trig` branch to the huge path)."""
    return _sincos64("sin", x) if x.c.is64 else _sincos32("sin", x)


def cos(x: Float) -> Float:
    """cos, branch-free (see `sin`)."""
    return _sincos64("cos", x) if x.c.is64 else _sincos32("cos", x)


_TRIG_FULL = {"sin": sin, "cos": cos, "tan": tan}
# vector widths that get a variant (the loop vectoriser picks among them)
_TRIG_VFS = {32: (2, 4, 8, 16, 32), 64: (2, 4, 8, 16)}


def _trig_fn_name(name, ty):
    if isinstance(ty, ir.VectorType):
        return "fnx_mathlib_%s_%s_v%d" % (name, mangle(ty.element), ty.count)
    return "fnx_mathlib_%s_%s" % (name, mangle(ty))


def _define_trig(mod, name, ty):
    """The out-of-line sin/cos/tan for type ty: the Cody-Waite path for every lane, and a
    branch (taken only when some lane needs it) to the Payne-Hanek path for huge arguments."""
    fname = _trig_fn_name(name, ty)
    fn = mod.globals.get(fname)
    if fn is not None:
        return fn
    fn = ir.Function(mod, ir.FunctionType(ty, [ty]), fname)
    vec = isinstance(ty, ir.VectorType)
    # vector variants must survive until the loop vectoriser maps calls to them
    fn.linkage = "weak_odr" if vec else "internal"
    for a in ("nounwind", "readnone"):
        fn.attributes.add(a)
    if vec:
        # The O3 pipeline has no inliner after the loop vectoriser, so the vectorised loop calls
        # the variant (a call per vector: spills, constants rematerialised). A backend that runs
        # an always-inliner pass after O3 gets it inlined; see the module docstring.
        fn.attributes.add("alwaysinline")
    else:
        fn.attributes.add("noinline")     # the call, not its branches, is what LLVM vectorises
        bits = 32 if isinstance(ty, ir.FloatType) else 64
        variants = ",".join("_ZGV_LLVM_N%dv_%s(%s)" % (n, fname, _trig_fn_name(name, ir.VectorType(ty, n)))
                            for n in _TRIG_VFS[bits])
        set.add(fn.attributes, '"vector-function-abi-variant"="%s"' % variants)
        for n in _TRIG_VFS[bits]:
            _define_trig(mod, name, ir.VectorType(ty, n))
    set.add(fn.attributes, "willreturn")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    c = Ctx(b, ty)
    x = Float(c, fn.args[0])
    a = x.abs()
    if name != "tan" and not c.is64:
        fast = _sincos32_fast(name, x)
        huge = a >= _trig_limit(c)            # inf too (rare; its fast result, NaN, is kept)
    else:
        fast = _trig_fast(name, x)
        huge = (a >= _trig_limit(c)) & (a < math.inf)
    anyh = huge.v
    if vec:
        red = mod.globals.get("llvm.vector.reduce.or.v%di1" % ty.count)
        if red is None:
            red = ir.Function(mod, ir.FunctionType(ir.IntType(1), [huge.v.type]),
                              "llvm.vector.reduce.or.v%di1" % ty.count)
        anyh = b.call(red, [huge.v])
    entry_end = b.block
    slow = fn.append_basic_block("huge")
    done = fn.append_basic_block("done")
    b.cbranch(anyh, slow, done)
    b.position_at_end(slow)
    if name != "tan" and not c.is64:
        mixed = _sincos32_with_huge(name, x, fast)
    else:
        mixed = select(huge, _TRIG_FULL[name](x), fast)
    slow_end = b.block
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(ty)
    phi.add_incoming(fast.v, entry_end)
    phi.add_incoming(mixed.v, slow_end)
    b.ret(phi)
    return fn


def emit_trig(builder: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    """Emit sin/cos/tan of x: a call to the out-of-line function for a scalar or a vector of a
    variant's width, the branch-free code for other vector widths."""
    ty = x.type
    if isinstance(ty, ir.VectorType):
        bits = 32 if isinstance(ty.element, ir.FloatType) else 64
        if ty.count not in _TRIG_VFS[bits]:
            return _TRIG_FULL[name](Float(Ctx(builder, ty), x)).v
    return builder.call(_define_trig(builder.module, name, ty), [x])
