"""Vectorisable transcendental functions emitted as LLVM IR (no libm calls).

Interface
---------
`emit_unary(builder, name, x) -> ir.Value` and `emit_binary(builder, name, a, b) -> ir.Value`
append the IR computing an elementwise function at the builder's position and return the
result. `x` (`a`, `b`) is a `float`/`double` scalar or a vector of them; the result has the
same type. Names::

    unary:  exp exp2 expm1 log log2 log1p sin cos tan tanh logistic erf erfc erf_inv asin acos
            atan sinh cosh asinh acosh atanh cbrt sqrt rsqrt abs floor ceil round neg sign
    binary: pow atan2

Semantics are numpy's, including the IEEE edge cases (+-0, +-inf, NaN, subnormal inputs and
results, overflow/underflow thresholds): log(0) = -inf, log(-1) = nan, exp(89f) = inf,
exp(-104f) = 0 with gradual underflow before, tanh and logistic saturate without overflow,
erf_inv(+-1) = +-inf, pow follows numpy.power on arrays (C99 pow: pow(x, 0) = 1, pow(1, nan) = 1,
negative bases with integer exponents, pow(-0, -odd) = -inf, ...), atan2 the C99 rules.
Odd functions keep the sign of zero. Nothing traps and no input produces poison in the result.

The package
-----------
This module is the interface: the name -> function tables, `ACCURACY`, `emit_unary` and
`emit_binary`. The algorithms are written in a small DSL over llvmlite (`dsl`: wrapped values
with operators, `select`, `fma`, Horner `poly`, error-free transformations) and read their
polynomials from `coefficients` and their split constants from `constants`. One module per
family: `exponential` (exp exp2 expm1), `logarithm` (log log2 log1p), `trig` (sin cos tan, with
the reduction modulo pi/2 in `pio2`), `inverse_trig` (atan asin acos atan2), `hyperbolic` (sinh
cosh tanh logistic), `inverse_hyperbolic` (asinh acosh atanh), `erf` (erf erfc erf_inv) and
`power` (pow cbrt). Families import only the DSL, the tables and the families they build on
(exp and log); nothing imports this module.

How the code is shaped
----------------------
Everything except sin/cos/tan is straight-line IR emitted inline: range reduction, minimax
polynomials (Horner with llvm.fma), `select`s instead of branches, only overloaded intrinsics
with vector forms (llvm.fma/fabs/floor/ceil/roundeven/sqrt/copysign, and llvm.ldexp where it is
one instruction, see `exponential.USE_LDEXP`). A loop whose body calls
`emit_unary(b, "exp", x)` on scalars is therefore vectorised by LLVM's loop vectoriser, at the
vector width the target machine prefers (the backend passes "-prefer-256-bit" on AVX-512 hosts
to get zmm), and applying it to a `<N x float>` value gives the explicit SIMD version directly.
No basic blocks are added to the caller's function. sin/cos/tan (scalar x) become a call to an
internal function with vector variants that the loop vectoriser substitutes (see `trig`).

float32 exp, sin, cos, tanh (the common ones in elementwise chains) avoid every conversion and
select they can: integers are read from the bits of a magic-number rounding (fl(v + 1.5*2^23)
holds rint(v) in its low bits), signs are applied with xor, 2^n is built from bits (or is one
vscalefps); see `exponential` and `trig`. tanh: em/(em + 2) with em = expm1(+-2|x|), one
division, no select: 24 instructions.

float32: exp exp2 expm1 log log2 log1p sin cos tan tanh logistic erf asin acos atan atan2 sinh
cosh run natively in float32 (float32 polynomials, 16 lanes per zmm). The others (erfc erf_inv
asinh acosh atanh cbrt pow, and the huge-argument reduction of sin/cos/tan) widen to float64,
run the float64 algorithm (erfc/erf_inv/pow use shorter float32-accuracy variants) and round
once: nearly correctly rounded, at float64 throughput.

Accuracy
--------
Maximum error in ulps of the result type: the guaranteed bound (`ACCURACY`, checked by
tests/backends/test_mathlib.py) and the largest error measured over 2^22 random bit patterns +
2^21 in-domain and log-uniform samples (float32; reference: numpy/scipy in float64, i.e. the
exact value) or 2^18 + 2^17 samples (float64; reference: numpy in x87 long double, 11 extra
bits; erf, erfc, erf_inv: mpmath on 12k points), edge values included; * = over all 2^32 float32
inputs. (float32 tanh was 1.5 (1.28) before the one-division form, which costs 24 vector
instructions instead of 42)::

    function   float32 (measured)   float64 (measured)
    exp        1.00  (0.909*)     1.00  (0.865)
    exp2       1.00  (0.858)      1.00  (0.818)
    expm1      1.50  (1.071)      1.50  (1.083)
    log        1.00  (0.881)      1.00  (0.749)
    log2       1.00  (0.907)      1.00  (0.737)
    log1p      1.00  (0.834)      1.00  (0.782)
    sin        1.00  (0.912*)     1.00  (0.769)
    cos        1.00  (0.909*)     1.00  (0.757)
    tan        2.50  (2.203)      2.50  (1.986)
    tanh       2.50  (2.288*)     2.50  (2.230)
    logistic   2.50  (1.994)      2.50  (1.986)
    erf        1.50  (1.324)      2.00  (1.243)
    erfc       0.51  (0.501)      3.50  (3.150)
    erf_inv    0.75  (0.562)      2.50  (1.842)
    asin       2.00  (1.569)      2.00  (1.584)
    acos       1.50  (1.256)      1.50  (1.132)
    atan       1.00  (0.827)      1.00  (0.746)
    sinh       2.00  (1.565)      2.00  (1.437)
    cosh       1.50  (1.303)      2.00  (1.253)
    asinh      0.51  (0.500)      2.00  (1.581)
    acosh      0.51  (0.500)      2.50  (1.903)
    atanh      0.51  (0.500)      2.00  (1.457)
    cbrt       0.51  (0.500)      1.00  (0.511)
    sqrt       0.50  (0.500)      0.50  (0.500)
    rsqrt      1.50  (1.477)      1.50  (1.447)
    abs        0.00  (0.000)      0.00  (0.000)
    floor      0.00  (0.000)      0.00  (0.000)
    ceil       0.00  (0.000)      0.00  (0.000)
    round      0.00  (0.000)      0.00  (0.000)
    neg        0.00  (0.000)      0.00  (0.000)
    sign       0.00  (0.000)      0.00  (0.000)
    pow        0.51  (0.500)      1.00  (0.842)
    atan2      2.00  (1.370)      2.00  (1.438)

rsqrt is 1/sqrt(x) with two roundings, bit-identical to numpy's `1 / np.sqrt(x)`. How the
polynomials were fitted: `coefficients`.

Targets: generic in the vector width. llvm.fma provides the exact products the reductions
rely on; AVX2 (x86-64-v3), AVX-512 and AArch64/NEON have FMA (without it llvm.fma is a libm
call: still correct, not fast).
"""
from __future__ import annotations

from llvmlite import ir

from .dsl import Ctx, Float, select
from .erf import erf, erf_inv, erfc
from .exponential import exp, exp2, expm1
from .hyperbolic import cosh, logistic, sinh, tanh
from .inverse_hyperbolic import acosh, asinh, atanh
from .inverse_trig import acos, asin, atan, atan2
from .logarithm import log, log1p, log2
from .power import cbrt, power
from .trig import cos, emit_trig, sin, tan

__all__ = ["emit_unary", "emit_binary", "UNARY_FUNCTIONS", "BINARY_FUNCTIONS", "ACCURACY"]


def _promoted(fn, lite=False):
    """float32 via float64: widen, compute, round once. lite: the float64 code may use its
    cheaper float32-accuracy variant."""
    def run(*xs):
        c = xs[0].c
        if c.is64:
            return fn(*xs)
        c64 = c.other()
        wide = [x.convert(c64) for x in xs]
        r = fn(*wide, lite=True) if lite else fn(*wide)
        return r.convert(c)
    return run


def _sign(x):
    c = x.c
    res = select(x > 0.0, c.f(1.0), select(x < 0.0, c.f(-1.0), c.f(0.0)))
    return select(x.isnan(), x, res)


# name -> the function of wrapped values computing it (sin, cos, tan: the branch-free form; their
# out-of-line functions come from `emit_trig`)
_UNARY = dict(
    exp=exp, exp2=exp2, expm1=expm1, log=log, log2=log2, log1p=log1p,
    sin=sin, cos=cos, tan=tan, tanh=tanh, logistic=logistic, erf=erf,
    erfc=_promoted(erfc, lite=True), erf_inv=_promoted(erf_inv, lite=True),
    asin=asin, acos=acos, atan=atan, sinh=sinh, cosh=cosh,
    asinh=_promoted(asinh), acosh=_promoted(acosh), atanh=_promoted(atanh), cbrt=_promoted(cbrt),
    sqrt=lambda x: x.sqrt(), rsqrt=lambda x: 1.0 / x.sqrt(), abs=lambda x: x.abs(),
    floor=lambda x: x.floor(), ceil=lambda x: x.ceil(), round=lambda x: x.rint(),
    neg=lambda x: -x, sign=_sign,
)
_BINARY = dict(pow=_promoted(power, lite=True), atan2=atan2)

UNARY_FUNCTIONS = list(_UNARY)
BINARY_FUNCTIONS = tuple(_BINARY)

# Guaranteed maximum error in ulps (float32, float64), checked by the tests. float32 functions
# computed in float64 are correctly rounded except within ~1e-7 ulp of a midpoint (bound 0.51).
ACCURACY = {
    "exp": (1.0, 1.0), "exp2": (1.0, 1.0), "expm1": (1.5, 1.5),
    "log": (1.0, 1.0), "log2": (1.0, 1.0), "log1p": (1.0, 1.0),
    "sin": (1.0, 1.0), "cos": (1.0, 1.0), "tan": (2.5, 2.5),
    "tanh": (2.5, 2.5), "logistic": (2.5, 2.5),
    "erf": (1.5, 2.0), "erfc": (0.51, 3.5), "erf_inv": (0.75, 2.5),
    "asin": (2.0, 2.0), "acos": (1.5, 1.5), "atan": (1.0, 1.0),
    "sinh": (2.0, 2.0), "cosh": (1.5, 2.0),
    "asinh": (0.51, 2.0), "acosh": (0.51, 2.5), "atanh": (0.51, 2.0),
    "cbrt": (0.51, 1.0), "sqrt": (0.5, 0.5), "rsqrt": (1.5, 1.5),
    "abs": (0.0, 0.0), "floor": (0.0, 0.0), "ceil": (0.0, 0.0), "round": (0.0, 0.0),
    "neg": (0.0, 0.0), "sign": (0.0, 0.0),
    "pow": (0.51, 1.0), "atan2": (2.0, 2.0),
}


def emit_unary(builder: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    """Emit `name(x)` at the builder's position; x is float/double or a vector of them."""
    try:
        fn = _UNARY[name]
    except KeyError:
        raise ValueError("mathlib: unknown unary function %r (known: %s)"
                         % (name, ", ".join(sorted(_UNARY)))) from None
    if name in ("sin", "cos", "tan"):
        return emit_trig(builder, name, x)
    c = Ctx(builder, x.type)
    return fn(Float(c, x)).v


def emit_binary(builder: ir.IRBuilder, name: str, a: ir.Value, b: ir.Value) -> ir.Value:
    """Emit `name(a, b)` (pow, atan2); a and b have the same float (vector) type."""
    try:
        fn = _BINARY[name]
    except KeyError:
        raise ValueError("mathlib: unknown binary function %r (known: %s)"
                         % (name, ", ".join(sorted(_BINARY)))) from None
    if a.type != b.type:
        raise TypeError("mathlib.%s: operand types differ: %s vs %s" % (name, a.type, b.type))
    c = Ctx(builder, a.type)
    return fn(Float(c, a), Float(c, b)).v
