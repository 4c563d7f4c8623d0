"""The small language the mathlib algorithms are written in: operator overloading over llvmlite.

A `Ctx` fixes the builder and the float type (float or double, scalar or vector); `Float`, `Int`
and `Mask` wrap float, integer (same width and lane count) and boolean values of that shape, so
that `fma(r * r, q, rh)` reads like the formula and appends fmul and llvm.fma to the builder.
Python numbers mixed in become constants of the value's type. Besides the wrappers: `select`
(the branch-free choice), Horner `poly`, the error-free transformations (`two_prod`, `two_sum`,
`fast_two_sum`), exact power-of-two scaling (`pow2i`, `scale2`), clamps, the float32
magic-number rounding (`magic_round`) and `finish` (NaN and signed zero passed through).
"""
from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from llvmlite import ir


def mangle(t: ir.Type) -> str:
    """LLVM's overload suffix of a type: f32, f64, v8f32, i32, ..."""
    if isinstance(t, ir.VectorType):
        return "v%d%s" % (t.count, mangle(t.element))
    if isinstance(t, ir.FloatType):
        return "f32"
    if isinstance(t, ir.DoubleType):
        return "f64"
    if isinstance(t, ir.IntType):
        return "i%d" % t.width
    raise TypeError(t)


def to_f32(v: float) -> float:
    """v rounded to the nearest float32."""
    return struct.unpack("f", struct.pack("f", v))[0]


class Ctx:
    """The builder and the float type (scalar or vector) an algorithm is emitted for; its
    constants (`f`, `i`) and intrinsic calls."""
    __slots__ = ("b", "ty", "n", "fty", "bits", "ity", "mod", "is64")

    def __init__(self, builder, ty):
        self.b = builder
        self.ty = ty
        if isinstance(ty, ir.VectorType):
            self.n = ty.count
            self.fty = ty.element
        else:
            self.n = 0
            self.fty = ty
        if isinstance(self.fty, ir.FloatType):
            self.bits = 32
        elif isinstance(self.fty, ir.DoubleType):
            self.bits = 64
        else:
            raise TypeError("mathlib: expected float or double (or a vector of them), got %s" % ty)
        self.is64 = self.bits == 64
        self.ity = self.shape(ir.IntType(self.bits))
        self.mod = builder.module

    def shape(self, t):
        return ir.VectorType(t, self.n) if self.n else t

    def other(self):
        """The context of the other float width, same lane count."""
        return Ctx(self.b, self.shape(ir.FloatType() if self.is64 else ir.DoubleType()))

    # constants
    def f(self, v):
        v = float(v)
        if not self.is64:
            v = to_f32(v)
        return Float(self, ir.Constant(self.ty, v))

    def i(self, v):
        return Int(self, ir.Constant(self.ity, int(v)))

    def intrinsic(self, name, args):
        """Call the overloaded intrinsic `name` whose result has its first argument's type."""
        tys = [a.type for a in args]
        fname = "%s.%s" % (name, mangle(tys[0]))
        fn = self.mod.globals.get(fname)
        if fn is None:
            fn = ir.Function(self.mod, ir.FunctionType(tys[0], tys), fname)
        return self.b.call(fn, args)


class _Value:
    """An llvmlite value `v` of context `c`'s shape."""
    __slots__ = ("c", "v")

    def __init__(self, c, v):
        self.c = c
        self.v = v


class _Ordered(_Value):
    """The comparisons, through the subclass's `_cmp` (ordered for floats, signed for ints)."""
    __slots__ = ()

    def __lt__(self, o): return self._cmp("<", o)
    def __le__(self, o): return self._cmp("<=", o)
    def __gt__(self, o): return self._cmp(">", o)
    def __ge__(self, o): return self._cmp(">=", o)
    def eq(self, o): return self._cmp("==", o)


class Float(_Ordered):
    """A float (vector) value; python numbers as operands become constants of its type."""
    __slots__ = ()

    def _o(self, o):
        if isinstance(o, Float):
            return o.v
        return self.c.f(o).v

    def __add__(self, o): return Float(self.c, self.c.b.fadd(self.v, self._o(o)))
    def __radd__(self, o): return Float(self.c, self.c.b.fadd(self._o(o), self.v))
    def __sub__(self, o): return Float(self.c, self.c.b.fsub(self.v, self._o(o)))
    def __rsub__(self, o): return Float(self.c, self.c.b.fsub(self._o(o), self.v))
    def __mul__(self, o): return Float(self.c, self.c.b.fmul(self.v, self._o(o)))
    def __rmul__(self, o): return Float(self.c, self.c.b.fmul(self._o(o), self.v))
    def __truediv__(self, o): return Float(self.c, self.c.b.fdiv(self.v, self._o(o)))
    def __rtruediv__(self, o): return Float(self.c, self.c.b.fdiv(self._o(o), self.v))
    def __neg__(self): return Float(self.c, self.c.b.fneg(self.v))

    def _cmp(self, op, o):
        return Mask(self.c, self.c.b.fcmp_ordered(op, self.v, self._o(o)))

    def ne(self, o): return Mask(self.c, self.c.b.fcmp_unordered("!=", self.v, self._o(o)))
    def isnan(self): return Mask(self.c, self.c.b.fcmp_unordered("uno", self.v, self.v))
    def notnan(self): return Mask(self.c, self.c.b.fcmp_ordered("ord", self.v, self.v))

    def _un(self, name): return Float(self.c, self.c.intrinsic(name, [self.v]))
    def abs(self): return self._un("llvm.fabs")
    def floor(self): return self._un("llvm.floor")
    def ceil(self): return self._un("llvm.ceil")
    def rint(self): return self._un("llvm.roundeven")
    def sqrt(self): return self._un("llvm.sqrt")
    def copysign(self, s): return Float(self.c, self.c.intrinsic("llvm.copysign", [self.v, self._o(s)]))

    def bits(self): return Int(self.c, self.c.b.bitcast(self.v, self.c.ity))

    def toi(self):
        """fptosi; the caller guarantees a finite value in range."""
        return Int(self.c, self.c.b.fptosi(self.v, self.c.ity))

    def convert(self, c2):
        """fpext / fptrunc to the float type of context c2 (same lane count)."""
        if c2.bits > self.c.bits:
            return Float(c2, self.c.b.fpext(self.v, c2.ty))
        if c2.bits < self.c.bits:
            return Float(c2, self.c.b.fptrunc(self.v, c2.ty))
        return self


class Int(_Ordered):
    """An integer (vector) value of the float type's width and lane count."""
    __slots__ = ()

    def _o(self, o):
        if isinstance(o, Int):
            return o.v
        return self.c.i(o).v

    def __add__(self, o): return Int(self.c, self.c.b.add(self.v, self._o(o)))
    def __radd__(self, o): return Int(self.c, self.c.b.add(self._o(o), self.v))
    def __sub__(self, o): return Int(self.c, self.c.b.sub(self.v, self._o(o)))
    def __rsub__(self, o): return Int(self.c, self.c.b.sub(self._o(o), self.v))
    def __mul__(self, o): return Int(self.c, self.c.b.mul(self.v, self._o(o)))
    def __and__(self, o): return Int(self.c, self.c.b.and_(self.v, self._o(o)))
    def __or__(self, o): return Int(self.c, self.c.b.or_(self.v, self._o(o)))
    def __xor__(self, o): return Int(self.c, self.c.b.xor(self.v, self._o(o)))
    def __lshift__(self, o): return Int(self.c, self.c.b.shl(self.v, self._o(o)))
    def __rshift__(self, o): return Int(self.c, self.c.b.ashr(self.v, self._o(o)))

    def _cmp(self, op, o):
        return Mask(self.c, self.c.b.icmp_signed(op, self.v, self._o(o)))

    def ne(self, o): return self._cmp("!=", o)

    def asf(self): return Float(self.c, self.c.b.bitcast(self.v, self.c.ty))
    def tof(self): return Float(self.c, self.c.b.sitofp(self.v, self.c.ty))


class Mask(_Value):
    """A boolean (vector) value: a comparison's result."""
    __slots__ = ()

    def __and__(self, o): return Mask(self.c, self.c.b.and_(self.v, o.v))
    def __or__(self, o): return Mask(self.c, self.c.b.or_(self.v, o.v))
    def __xor__(self, o): return Mask(self.c, self.c.b.xor(self.v, o.v))
    def __invert__(self): return Mask(self.c, self.c.b.not_(self.v))


def select(cond: Mask, a: Float | Int | float, b: Float | Int | float) -> Float | Int:
    """cond ? a : b, elementwise; a/b may be python numbers (taken as the other's kind)."""
    c = cond.c
    if isinstance(a, (Float, Int)):
        kind = type(a)
    elif isinstance(b, (Float, Int)):
        kind = type(b)
    else:
        kind = Float
    if kind is Float:
        av = a.v if isinstance(a, Float) else c.f(a).v
        bv = b.v if isinstance(b, Float) else c.f(b).v
    else:
        av = a.v if isinstance(a, Int) else c.i(a).v
        bv = b.v if isinstance(b, Int) else c.i(b).v
    return kind(c, c.b.select(cond.v, av, bv))


def fma(a: Float | float, b: Float | float, c: Float | float) -> Float:
    """a*b + c with a single rounding (llvm.fma). At least one of the operands is a Float."""
    ctx = next(v.c for v in (a, b, c) if isinstance(v, Float))
    args = [v.v if isinstance(v, Float) else ctx.f(v).v for v in (a, b, c)]
    return Float(ctx, ctx.intrinsic("llvm.fma", args))


def poly(x: Float, coeffs: Sequence[float]) -> Float:
    """coeffs[0] + coeffs[1]*x + ... (Horner with fma)."""
    c = x.c
    acc = c.f(coeffs[-1])
    for k in reversed(coeffs[:-1]):
        acc = fma(acc, x, k)
    return acc


def two_prod(a: Float, b: Float) -> tuple[Float, Float]:
    """a*b = p + e exactly (e by fma)."""
    p = a * b
    return p, fma(a, b, -p)


def two_sum(a: Float, b: Float) -> tuple[Float, Float]:
    """a + b = s + e exactly (Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a: Float, b: Float) -> tuple[Float, Float]:
    """a + b = s + e exactly, given |a| >= |b| or a == 0 (Dekker's Fast2Sum)."""
    s = a + b
    return s, b - (s - a)


def infinity(c: Ctx) -> Float:
    """+inf of the context's type."""
    return c.f(math.inf)


def nan(c: Ctx) -> Float:
    """A quiet NaN of the context's type."""
    return c.f(math.nan)


def float_format(c: Ctx) -> dict[str, int]:
    """The format's mantissa bits, exponent bias and the bits of 1.0."""
    if c.is64:
        return dict(mant=52, bias=1023, one=0x3FF0000000000000)
    return dict(mant=23, bias=127, one=0x3F800000)


def pow2i(c: Ctx, n: Int) -> Float:
    """2.0**n for an integer Int n in the normal exponent range."""
    p = float_format(c)
    return ((n + p["bias"]) << p["mant"]).asf()


def scale2(p: Float, n: Int, clamp: bool = True) -> Float:
    """p * 2**n (n an Int, |n| <= 2*bias - 4 after clamping) with a single final rounding.
    clamp=False: the caller guarantees |n| <= 2000 (float64) / 250 (float32)."""
    c = p.c
    if clamp:
        lim = 2000 if c.is64 else 250
        n = at_least(at_most(n, lim), -lim)
    n1 = n >> 1
    n2 = n - n1
    return (p * pow2i(c, n1)) * pow2i(c, n2)


def at_most(x: Float | Int, hi: float) -> Float | Int:
    """min(x, hi) for a Float or Int x and a number hi; NaN stays NaN."""
    return select(x > hi, hi, x)


def at_least(x: Float | Int, lo: float) -> Float | Int:
    """max(x, lo) for a Float or Int x and a number lo; NaN stays NaN."""
    return select(x < lo, lo, x)


def clamp(x: Float | Int, lo: float, hi: float) -> Float | Int:
    """min(max(x, lo), hi), NaN stays NaN: integer conversions of it give poison, so the
    caller must select the NaN lanes away (select does not propagate the unselected poison)
    and must not use them for memory addresses."""
    return at_least(at_most(x, hi), lo)


def clamp_nan0(x: Float, lo: float, hi: float) -> Float:
    """min(max(x, lo), hi) with NaN mapped to 0 (safe to convert to int afterwards)."""
    x = clamp(x, lo, hi)
    return select(x.isnan(), 0.0, x)


def signbit(x: Float) -> Mask:
    """The sign bit of x (set for -0 and negative NaNs too)."""
    return x.bits() < 0


def finish(x: Float, res: Float, keep_zero: bool = False) -> Float:
    """NaN in -> the same NaN out; optionally x == ±0 -> x (sign-preserving odd functions)."""
    cond = x.isnan()
    if keep_zero:
        cond = cond | x.eq(0.0)
    return select(cond, x, res)


# 1.5 * 2**23: for |v| < 2**22, fl(v + MAGIC32) holds rint(v) in its low mantissa bits (the
# integer and its float value at once: no conversion instruction, no poison for NaN/inf).
MAGIC32 = 12582912.0
MAGIC32_BITS = 0x4B400000


def magic_round(v: Float, scale: float) -> tuple[Float, Float]:
    """(nb, nf): nb = fl(v*scale + MAGIC32) (rint(v*scale) in its low bits), nf = that integer
    as a float32. |v*scale| < 2**22."""
    nb = fma(v, scale, MAGIC32)
    return nb, nb - MAGIC32
