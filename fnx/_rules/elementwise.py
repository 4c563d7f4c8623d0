"""Elementwise primitives: numpy implementation, jvp, transpose and batching rules."""
from __future__ import annotations

import builtins  # `abs` is the binder here
import math
import statistics
from typing import Any

import numpy as np

from .._core.rules import define
from ._util import as_dtype, quiet
from .._core import batching as _bat
from .._core import ad as _ad
from .._core.trace import bind
from .._core import ops
from .._core.ops import Value, add, broadcast_in_dim, clamp, lt, ne
import fnx_ir as _fnx_ir

__all__ = [  # the public binders (re-exported by fnx.lax)
    "neg", "abs", "sign", "floor", "ceil", "round", "exp", "exp2", "expm1", "log", "log2",
    "log1p", "sqrt", "rsqrt", "cbrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
    "cosh", "tanh", "asinh", "acosh", "atanh", "logistic", "erf", "erfc", "erf_inv",
    "isfinite", "stop_gradient", "add", "sub", "mul", "div", "rem", "pow", "atan2", "max",
    "min", "eq", "ne", "lt", "le", "gt", "ge", "shift_left", "shift_right_logical",
    "shift_right_arithmetic", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "integer_pow", "select", "clamp", "convert_element_type", "bitcast_convert_type"]


def _rsqrt(x):
    return np.reciprocal(np.sqrt(x))


def _logistic(x):
    # Split by sign so neither branch overflows.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _libm(fn):
    """Vectorise a scalar libm function, computing in float64."""
    vec = np.vectorize(fn, otypes=[np.float64])
    def impl(x):
        x = np.asarray(x)
        return vec(x.astype(np.float64)).astype(x.dtype) if x.size else x.copy()
    return impl


def _erf_inv_scalar(y: float) -> float:
    if not -1 <= y <= 1:
        return math.nan
    if builtins.abs(y) == 1:
        return math.copysign(math.inf, y)
    if y == 0:
        return y
    a = builtins.abs(y)
    tail = 1 - a  # exact for a >= 0.5, where erf is flat and erfc carries the precision
    x = -statistics.NormalDist().inv_cdf(tail / 2) / math.sqrt(2)
    slope = 2 / math.sqrt(math.pi)
    for _ in range(3):  # Newton steps restore full relative accuracy
        if a < 0.5:
            x -= (math.erf(x) - a) / (slope * math.exp(-x * x))
        else:
            x += (math.erfc(x) - tail) / (slope * math.exp(-x * x))
    return math.copysign(x, y)


# ------------------------------------------------------------------- derivative rules
# jvp(primals, tangents, **params) -> (out, out_tangent), a None tangent is a zero;
# transpose(ct, *args, **params) -> one cotangent per operand (linear operands are
# `UndefinedPrimal`s). Conventions (kinks, ties, edges) are listed in docs/autodiff.md.

def _c(x, value):
    """`value` as an array of `x`'s shape and dtype."""
    return _ad.full_like_aval(_ad.aval_of(x).strong(), value)


def _bcast_to(v, x):
    """A scalar bound `v` broadcast to the shape of `x` (clamp's scalar bounds)."""
    tx, tv = _ad.aval_of(x), _ad.aval_of(v)
    return v if tv.shape == tx.shape else broadcast_in_dim(v, tx.shape, ())


_LN2 = math.log(2.0)


def _add_jvp(primals, tangents):
    return add(*primals), _ad.add_tangents(*tangents)


def _sub_jvp(primals, tangents):
    tx, ty = tangents
    return sub(*primals), (neg(ty) if tx is None else tx if ty is None else sub(tx, ty))


def _pow_jvp_x(g, ans, x, y):
    # y * x**(y-1), as JAX for float exponents (so 0 * 0**-1 = NaN at x = y = 0)
    return mul(g, mul(y, pow(x, sub(y, _c(y, 1)))))


def _pow_jvp_y(g, ans, x, y):
    # log(x) * x**y, and 0 where x == 0 (log(0) replaced by log(1)), as JAX
    safe = select(eq(x, _c(x, 0)), _c(x, 1), x)
    return mul(g, mul(log(safe), ans))


def _atan2_denominator(x, y):
    return add(mul(x, x), mul(y, y))


def balanced_weights(x, y, ans):
    """The weights of x's and y's tangents in max/min(x, y) = ans (JAX's convention):
    the operand equal to the result takes it all, ties split it equally, and where the
    result is NaN nobody takes anything."""
    one, zero = _c(ans, 1), _c(ans, 0)
    hit_x, hit_y = eq(x, ans), eq(y, ans)
    wx = div(select(hit_x, one, zero), select(hit_y, _c(ans, 2), one))
    wy = div(select(hit_y, one, zero), select(hit_x, _c(ans, 2), one))
    return wx, wy


def _minmax_jvp(name):
    """max/min: the winner's tangent; at ties each operand gets half (`balanced_weights`)."""
    def rule(primals, tangents):
        x, y = primals
        tx, ty = tangents
        ans = _ad.bind(name, x, y)
        wx, wy = balanced_weights(x, y, ans)
        out = None if tx is None else mul(tx, wx)
        if ty is not None:
            out = _ad.add_tangents(out, mul(ty, wy))
        return ans, out
    rule.__name__ = f"jvp_{name}"
    return rule


def _rem_jvp_y(g, ans, x, y):
    q = div(x, y)  # d/dy rem(x, y) = -trunc(x / y)
    return mul(neg(g), mul(sign(q), floor(abs(q))))


def _integer_pow_jvp(g, ans, x, *, y):
    if y == 0:
        return None
    if y == 1:
        return g
    return mul(g, mul(_c(x, y), x if y == 2 else integer_pow(x, y - 1)))


def _clamp_jvp_lo(g, ans, lo, x, hi):
    lo_b, hi_b = _bcast_to(lo, x), _bcast_to(hi, x)
    inside = bitwise_and(gt(lo_b, x), lt(lo_b, hi_b))
    return select(inside, _bcast_to(g, x), _c(x, 0))


def _clamp_jvp_x(g, ans, lo, x, hi):
    inside = bitwise_and(gt(x, _bcast_to(lo, x)), lt(x, _bcast_to(hi, x)))
    return select(inside, g, _c(x, 0))


def _clamp_jvp_hi(g, ans, lo, x, hi):
    return select(lt(_bcast_to(hi, x), x), _bcast_to(g, x), _c(x, 0))


def _convert_jvp(primals, tangents, *, new_dtype, weak):
    (x,), (t,) = primals, tangents
    ans = _ad.bind("convert_element_type", x, new_dtype=new_dtype, weak=weak)
    if t is None or not new_dtype.is_float:
        return ans, None  # float -> int/bool: piecewise constant
    return ans, _ad.bind("convert_element_type", t, new_dtype=new_dtype, weak=weak)


def _undef(x):
    return _ad.is_undefined(x)


def _mul_transpose(ct, x, y):
    if _undef(x) and _undef(y):
        raise NotImplementedError("transpose of mul: both operands are linear (x * y is not "
                                  "linear in (x, y))")
    return [mul(ct, y), None] if _undef(x) else [None, mul(x, ct)]


def _div_transpose(ct, x, y):
    if _undef(y):
        raise NotImplementedError("transpose of div: it is linear only in the numerator")
    return [div(ct, y), None]


def _select_transpose(ct, pred, a, b):
    zeros = _ad.zeros_like_aval(_ad.aval_of(a).strong())
    return [None, select(pred, ct, zeros) if _undef(a) else None,
            select(pred, zeros, ct) if _undef(b) else None]


def _convert_transpose(ct, x, *, new_dtype, weak):
    t = x.aval
    return [_ad.bind("convert_element_type", ct, new_dtype=t.dtype, weak=t.weak)]


# ------------------------------------------------------------------- binary implementations

def _int_div(x, y):
    """Truncating division with defined results for y == 0 and INT_MIN / -1."""
    signed = x.dtype.kind == "i"
    zero = y == 0
    minus_one = (y == -1) if signed else np.zeros(y.shape, bool)
    safe = np.where(zero | minus_one, 1, y).astype(y.dtype)
    q = x // safe
    # floor -> trunc: bump when the remainder is non-zero and the signs differ
    q = q + ((x % safe != 0) & ((x < 0) != (safe < 0))).astype(x.dtype)
    q = np.where(minus_one, np.negative(x), q)
    all_ones = np.array(-1 if signed else np.iinfo(x.dtype).max, dtype=x.dtype)
    return np.where(zero, all_ones, q).astype(x.dtype)


def _div(x, y):
    if x.dtype.kind in "iu":
        return _int_div(np.asarray(x), np.asarray(y))
    return np.divide(x, y)


def _rem(x, y):
    if x.dtype.kind in "iu":
        x, y = np.asarray(x), np.asarray(y)
        r = x - _int_div(x, y) * y
        return np.where(y == 0, x, r).astype(x.dtype)
    return np.fmod(x, y)


def _shift(kind):
    def impl(x, y):
        x, y = np.asarray(x), np.asarray(y)
        bits = x.dtype.itemsize * 8
        ok = (y >= 0) & (y < bits)
        s = np.where(ok, y, 0).astype(x.dtype)
        if kind == "left":
            out = np.left_shift(x, s)
            fill = np.zeros((), x.dtype)
        elif kind == "logical":
            u = x.view(np.dtype(f"u{x.dtype.itemsize}"))
            out = np.right_shift(u, s.view(u.dtype)).view(x.dtype)
            fill = np.zeros((), x.dtype)
        else:
            signed = x.view(np.dtype(f"i{x.dtype.itemsize}"))
            out = np.right_shift(signed, s.view(signed.dtype)).view(x.dtype)
            fill = np.where(signed < 0, -1, 0).astype(signed.dtype).view(x.dtype)
        return np.where(ok, out, fill).astype(x.dtype)
    return impl


def _pow(x, y):
    """C99 `pow` (as XLA): numpy's loop takes a `sqrt` shortcut for a scalar exponent of 0.5,
    which differs at -inf and -0, so the exponent is given as a full (raveled) array."""
    x, y = np.broadcast_arrays(x, y)
    return np.power(x.ravel(), y.ravel()).reshape(x.shape)


@quiet
def _integer_pow(x, *, y):
    """Binary exponentiation: the same multiplications every backend performs."""
    x = np.asarray(x)
    acc, base, n = np.ones_like(x), x, builtins.abs(y)
    while n:
        if n & 1:
            acc = acc * base
        n >>= 1
        if n:
            base = base * base
    return (1 / acc).astype(x.dtype) if y < 0 else acc


def _clamp_batch(args, dims):
    """Bounds that are unbatched scalars stay scalars; others take x's batched shape."""
    (lo, x, hi), (dlo, dx, dhi) = args, dims
    size = _bat.batch_size(args, dims)
    d = 0 if dx is None else dx
    x = _bat.matchaxis(x, dx, size, d)
    full = _bat.type_of(x).shape
    bounds = []
    for b, db in ((lo, dlo), (hi, dhi)):
        scalar = _bat.type_of(b).ndim == (0 if db is None else 1)
        if db is None and scalar:
            bounds.append(b)
        elif scalar:
            bounds.append(broadcast_in_dim(b, full, (d,)))
        else:
            bounds.append(_bat.matchaxis(b, db, size, d))
    return _bat.bind("clamp", bounds[0], x, bounds[1]), d


@quiet
def _convert(x, *, new_dtype, weak):
    return _fnx_ir.cast(x, new_dtype, copy=True)


def _bitcast(x, *, new_dtype):
    # (ascontiguousarray makes 0-d inputs 1-d: restore the shape)
    return np.ascontiguousarray(x).view(new_dtype.np).reshape(np.shape(x)).copy()


# ------------------------------------------------------------------- registration
# One block per primitive: binder, impl, jvp, transpose (when linear), batch.
# A block without a binder `def` registers the one in fnx/_core/ops.py (the core binds it too).

def neg(x: Value) -> Value:
    """Elementwise negation."""
    return bind("neg", x)

define("neg", binder=neg, impl=quiet(np.negative),
       jvp=_ad.linear_jvp("neg"),
       transpose=lambda ct, x: [neg(ct)],
       batch=_bat.make_elementwise_batch("neg"))

def abs(x: Value) -> Value:
    """Elementwise absolute value."""
    return bind("abs", x)

define("abs", binder=abs, impl=quiet(np.abs),
       jvp=_ad.jvp_rule("abs", lambda g, y, x: select(ge(x, _c(x, 0)), g, neg(g))),
       batch=_bat.make_elementwise_batch("abs"))

def sign(x: Value) -> Value:
    """Elementwise sign (-1, 0 or 1; NaN stays NaN)."""
    return bind("sign", x)

define("sign", binder=sign, impl=quiet(np.sign),
       jvp=_ad.zero_jvp("sign"),
       batch=_bat.make_elementwise_batch("sign"))

def floor(x: Value) -> Value:
    """Elementwise floor."""
    return bind("floor", x)

define("floor", binder=floor, impl=quiet(np.floor),
       jvp=_ad.zero_jvp("floor"),
       batch=_bat.make_elementwise_batch("floor"))

def ceil(x: Value) -> Value:
    """Elementwise ceiling."""
    return bind("ceil", x)

define("ceil", binder=ceil, impl=quiet(np.ceil),
       jvp=_ad.zero_jvp("ceil"),
       batch=_bat.make_elementwise_batch("ceil"))

def round(x: Value) -> Value:
    """Elementwise rounding half away from zero."""
    return bind("round", x)

define("round", binder=round, impl=quiet(np.round),
       jvp=_ad.zero_jvp("round"),
       batch=_bat.make_elementwise_batch("round"))

def exp(x: Value) -> Value:
    """Elementwise e**x."""
    return bind("exp", x)

define("exp", binder=exp, impl=quiet(np.exp),
       jvp=_ad.jvp_rule("exp", lambda g, y, x: mul(g, y)),
       batch=_bat.make_elementwise_batch("exp"))

def exp2(x: Value) -> Value:
    """Elementwise 2**x."""
    return bind("exp2", x)

define("exp2", binder=exp2, impl=quiet(np.exp2),
       jvp=_ad.jvp_rule("exp2", lambda g, y, x: mul(g, mul(y, _c(y, _LN2)))),
       batch=_bat.make_elementwise_batch("exp2"))

def expm1(x: Value) -> Value:
    """Elementwise e**x - 1, accurate near 0."""
    return bind("expm1", x)

define("expm1", binder=expm1, impl=quiet(np.expm1),
       jvp=_ad.jvp_rule("expm1", lambda g, y, x: mul(g, add(y, _c(y, 1)))),
       batch=_bat.make_elementwise_batch("expm1"))

def log(x: Value) -> Value:
    """Elementwise natural logarithm."""
    return bind("log", x)

define("log", binder=log, impl=quiet(np.log),
       jvp=_ad.jvp_rule("log", lambda g, y, x: div(g, x)),
       batch=_bat.make_elementwise_batch("log"))

def log2(x: Value) -> Value:
    """Elementwise base-2 logarithm."""
    return bind("log2", x)

define("log2", binder=log2, impl=quiet(np.log2),
       jvp=_ad.jvp_rule("log2", lambda g, y, x: div(g, mul(x, _c(x, _LN2)))),
       batch=_bat.make_elementwise_batch("log2"))

def log1p(x: Value) -> Value:
    """Elementwise log(1 + x), accurate near 0."""
    return bind("log1p", x)

define("log1p", binder=log1p, impl=quiet(np.log1p),
       jvp=_ad.jvp_rule("log1p", lambda g, y, x: div(g, add(x, _c(x, 1)))),
       batch=_bat.make_elementwise_batch("log1p"))

def sqrt(x: Value) -> Value:
    """Elementwise square root."""
    return bind("sqrt", x)

define("sqrt", binder=sqrt, impl=quiet(np.sqrt),
       jvp=_ad.jvp_rule("sqrt", lambda g, y, x: mul(g, div(_c(y, 0.5), y))),
       batch=_bat.make_elementwise_batch("sqrt"))

def cbrt(x: Value) -> Value:
    """Elementwise cube root."""
    return bind("cbrt", x)

define("cbrt", binder=cbrt, impl=quiet(np.cbrt),
       jvp=_ad.jvp_rule("cbrt", lambda g, y, x: mul(
       g, mul(_c(x, 1 / 3), integer_pow(y, -2)))),
       batch=_bat.make_elementwise_batch("cbrt"))

def sin(x: Value) -> Value:
    """Elementwise sine."""
    return bind("sin", x)

define("sin", binder=sin, impl=quiet(np.sin),
       jvp=_ad.jvp_rule("sin", lambda g, y, x: mul(g, cos(x))),
       batch=_bat.make_elementwise_batch("sin"))

def cos(x: Value) -> Value:
    """Elementwise cosine."""
    return bind("cos", x)

define("cos", binder=cos, impl=quiet(np.cos),
       jvp=_ad.jvp_rule("cos", lambda g, y, x: neg(mul(g, sin(x)))),
       batch=_bat.make_elementwise_batch("cos"))

def tan(x: Value) -> Value:
    """Elementwise tangent."""
    return bind("tan", x)

define("tan", binder=tan, impl=quiet(np.tan),
       jvp=_ad.jvp_rule("tan", lambda g, y, x: mul(g, add(_c(y, 1), mul(y, y)))),
       batch=_bat.make_elementwise_batch("tan"))

def asin(x: Value) -> Value:
    """Elementwise arcsine."""
    return bind("asin", x)

define("asin", binder=asin, impl=quiet(np.arcsin),
       jvp=_ad.jvp_rule("asin", lambda g, y, x: mul(
       g, rsqrt(sub(_c(x, 1), mul(x, x))))),
       batch=_bat.make_elementwise_batch("asin"))

def acos(x: Value) -> Value:
    """Elementwise arccosine."""
    return bind("acos", x)

define("acos", binder=acos, impl=quiet(np.arccos),
       jvp=_ad.jvp_rule("acos", lambda g, y, x: neg(mul(
       g, rsqrt(sub(_c(x, 1), mul(x, x)))))),
       batch=_bat.make_elementwise_batch("acos"))

def atan(x: Value) -> Value:
    """Elementwise arctangent."""
    return bind("atan", x)

define("atan", binder=atan, impl=quiet(np.arctan),
       jvp=_ad.jvp_rule("atan", lambda g, y, x: div(g, add(_c(x, 1), mul(x, x)))),
       batch=_bat.make_elementwise_batch("atan"))

def sinh(x: Value) -> Value:
    """Elementwise hyperbolic sine."""
    return bind("sinh", x)

define("sinh", binder=sinh, impl=quiet(np.sinh),
       jvp=_ad.jvp_rule("sinh", lambda g, y, x: mul(g, cosh(x))),
       batch=_bat.make_elementwise_batch("sinh"))

def cosh(x: Value) -> Value:
    """Elementwise hyperbolic cosine."""
    return bind("cosh", x)

define("cosh", binder=cosh, impl=quiet(np.cosh),
       jvp=_ad.jvp_rule("cosh", lambda g, y, x: mul(g, sinh(x))),
       batch=_bat.make_elementwise_batch("cosh"))

def tanh(x: Value) -> Value:
    """Elementwise hyperbolic tangent."""
    return bind("tanh", x)

define("tanh", binder=tanh, impl=quiet(np.tanh),
       jvp=_ad.jvp_rule("tanh", lambda g, y, x: mul(
       g, mul(sub(_c(y, 1), y), add(_c(y, 1), y)))),
       batch=_bat.make_elementwise_batch("tanh"))

def asinh(x: Value) -> Value:
    """Elementwise inverse hyperbolic sine."""
    return bind("asinh", x)

define("asinh", binder=asinh, impl=quiet(np.arcsinh),
       jvp=_ad.jvp_rule("asinh", lambda g, y, x: mul(
      g, rsqrt(add(mul(x, x), _c(x, 1))))),
       batch=_bat.make_elementwise_batch("asinh"))

def acosh(x: Value) -> Value:
    """Elementwise inverse hyperbolic cosine."""
    return bind("acosh", x)

define("acosh", binder=acosh, impl=quiet(np.arccosh),
       jvp=_ad.jvp_rule("acosh", lambda g, y, x: mul(
      g, rsqrt(mul(sub(x, _c(x, 1)), add(x, _c(x, 1)))))),
       batch=_bat.make_elementwise_batch("acosh"))

def atanh(x: Value) -> Value:
    """Elementwise inverse hyperbolic tangent."""
    return bind("atanh", x)

define("atanh", binder=atanh, impl=quiet(np.arctanh),
       jvp=_ad.jvp_rule("atanh", lambda g, y, x: div(
      g, mul(sub(_c(x, 1), x), add(_c(x, 1), x)))),
       batch=_bat.make_elementwise_batch("atanh"))

def isfinite(x: Value) -> Value:
    """Elementwise whether x is finite (bool result)."""
    return bind("isfinite", x)

define("isfinite", binder=isfinite, impl=quiet(np.isfinite),
       jvp=_ad.zero_jvp("isfinite"),
       batch=_bat.make_elementwise_batch("isfinite"))

def bitwise_not(x: Value) -> Value:
    """Elementwise bitwise (or logical, for bool) not."""
    return bind("not", x)

define("not", binder=bitwise_not, impl=quiet(np.invert),
       jvp=_ad.zero_jvp("not"),
       batch=_bat.make_elementwise_batch("not"))

def rsqrt(x: Value) -> Value:
    """Elementwise 1 / sqrt(x)."""
    return bind("rsqrt", x)

define("rsqrt", binder=rsqrt, impl=quiet(_rsqrt),
       jvp=_ad.jvp_rule("rsqrt", lambda g, y, x: mul(g, mul(_c(x, -0.5), div(y, x)))),
       batch=_bat.make_elementwise_batch("rsqrt"))

def logistic(x: Value) -> Value:
    """Elementwise logistic sigmoid 1 / (1 + e**-x)."""
    return bind("logistic", x)

define("logistic", binder=logistic, impl=quiet(_logistic),
       jvp=_ad.jvp_rule("logistic", lambda g, y, x: mul(g, mul(y, sub(_c(y, 1), y)))),
       batch=_bat.make_elementwise_batch("logistic"))

def erf(x: Value) -> Value:
    """Elementwise error function."""
    return bind("erf", x)

define("erf", binder=erf, impl=quiet(_libm(math.erf)),
       jvp=_ad.jvp_rule("erf", lambda g, y, x: mul(
                g, mul(_c(x, 2 / math.sqrt(math.pi)), exp(neg(mul(x, x)))))),
       batch=_bat.make_elementwise_batch("erf"))

def erfc(x: Value) -> Value:
    """Elementwise complementary error function 1 - erf(x)."""
    return bind("erfc", x)

define("erfc", binder=erfc, impl=quiet(_libm(math.erfc)),
       jvp=_ad.jvp_rule("erfc", lambda g, y, x: mul(
       g, mul(_c(x, -2 / math.sqrt(math.pi)), exp(neg(mul(x, x)))))),
       batch=_bat.make_elementwise_batch("erfc"))

def erf_inv(x: Value) -> Value:
    """Elementwise inverse error function."""
    return bind("erf_inv", x)

define("erf_inv", binder=erf_inv, impl=quiet(_libm(_erf_inv_scalar)),
       jvp=_ad.jvp_rule("erf_inv", lambda g, y, x: mul(
    g, mul(_c(y, math.sqrt(math.pi) / 2), exp(mul(y, y))))),
       batch=_bat.make_elementwise_batch("erf_inv"))

def stop_gradient(x: Value) -> Value:
    """Elementwise identity whose derivative is zero."""
    return bind("stop_gradient", x)

define("stop_gradient", binder=stop_gradient, impl=np.array,
       jvp=_ad.zero_jvp("stop_gradient"),
       batch=_bat.make_elementwise_batch("stop_gradient"))

define("add", binder=add, impl=quiet(np.add),
       jvp=_add_jvp,
       transpose=lambda ct, x, y: [ct if _undef(x) else None, ct if _undef(y) else None],
       batch=_bat.make_elementwise_batch("add"))

def sub(x: Value, y: Value) -> Value:
    """Elementwise x - y, of equal-typed operands."""
    return bind("sub", x, y)

define("sub", binder=sub, impl=quiet(np.subtract),
       jvp=_sub_jvp,
       transpose=lambda ct, x, y: [ct if _undef(x) else None, neg(ct) if _undef(y) else None],
       batch=_bat.make_elementwise_batch("sub"))

def mul(x: Value, y: Value) -> Value:
    """Elementwise x * y, of equal-typed operands."""
    return bind("mul", x, y)

define("mul", binder=mul, impl=quiet(np.multiply),
       jvp=_ad.jvp_rule("mul", lambda g, a, x, y: mul(g, y), lambda g, a, x, y: mul(x, g)),
       transpose=_mul_transpose,
       batch=_bat.make_elementwise_batch("mul"))

def div(x: Value, y: Value) -> Value:
    """Elementwise x / y (integers: truncating, x / 0 = -1 as XLA), of equal-typed operands."""
    return bind("div", x, y)

define("div", binder=div, impl=quiet(_div),
       jvp=_ad.jvp_rule("div", lambda g, a, x, y: div(g, y),
                        lambda g, a, x, y: mul(mul(neg(g), x), integer_pow(y, -2))),
       transpose=_div_transpose,
       batch=_bat.make_elementwise_batch("div"))

def rem(x: Value, y: Value) -> Value:
    """Elementwise remainder with the sign of x (C fmod), of equal-typed operands."""
    return bind("rem", x, y)

define("rem", binder=rem, impl=quiet(_rem),
       jvp=_ad.jvp_rule("rem", lambda g, a, x, y: g, _rem_jvp_y),
       batch=_bat.make_elementwise_batch("rem"))

def pow(x: Value, y: Value) -> Value:
    """Elementwise x ** y (C99 pow), of equal-typed operands."""
    return bind("pow", x, y)

define("pow", binder=pow, impl=quiet(_pow),
       jvp=_ad.jvp_rule("pow", _pow_jvp_x, _pow_jvp_y),
       batch=_bat.make_elementwise_batch("pow"))

def atan2(x: Value, y: Value) -> Value:
    """Elementwise arctangent of x / y in the right quadrant (numpy's `arctan2(x, y)`)."""
    return bind("atan2", x, y)

define("atan2", binder=atan2, impl=quiet(np.arctan2),
       jvp=_ad.jvp_rule("atan2",
                        lambda g, a, x, y: mul(g, div(y, _atan2_denominator(x, y))),
                        lambda g, a, x, y: mul(g, div(neg(x), _atan2_denominator(x, y)))),
       batch=_bat.make_elementwise_batch("atan2"))

def max(x: Value, y: Value) -> Value:
    """Elementwise maximum (NaN wins), of equal-typed operands."""
    return bind("max", x, y)

define("max", binder=max, impl=quiet(np.maximum),
       jvp=_minmax_jvp("max"),
       batch=_bat.make_elementwise_batch("max"))

def min(x: Value, y: Value) -> Value:
    """Elementwise minimum (NaN wins), of equal-typed operands."""
    return bind("min", x, y)

define("min", binder=min, impl=quiet(np.minimum),
       jvp=_minmax_jvp("min"),
       batch=_bat.make_elementwise_batch("min"))

def bitwise_and(x: Value, y: Value) -> Value:
    """Elementwise bitwise (or logical, for bool) and, of equal-typed operands."""
    return bind("and", x, y)

define("and", binder=bitwise_and, impl=quiet(np.bitwise_and),
       jvp=_ad.zero_jvp("and"),
       batch=_bat.make_elementwise_batch("and"))

def bitwise_or(x: Value, y: Value) -> Value:
    """Elementwise bitwise (or logical, for bool) or, of equal-typed operands."""
    return bind("or", x, y)

define("or", binder=bitwise_or, impl=quiet(np.bitwise_or),
       jvp=_ad.zero_jvp("or"),
       batch=_bat.make_elementwise_batch("or"))

def bitwise_xor(x: Value, y: Value) -> Value:
    """Elementwise bitwise (or logical, for bool) exclusive or, of equal-typed operands."""
    return bind("xor", x, y)

define("xor", binder=bitwise_xor, impl=quiet(np.bitwise_xor),
       jvp=_ad.zero_jvp("xor"),
       batch=_bat.make_elementwise_batch("xor"))

def eq(x: Value, y: Value) -> Value:
    """Elementwise x == y, of equal-typed operands."""
    return bind("eq", x, y)

define("eq", binder=eq, impl=quiet(np.equal),
       jvp=_ad.zero_jvp("eq"),
       batch=_bat.make_elementwise_batch("eq"))

define("ne", binder=ne, impl=quiet(np.not_equal),
       jvp=_ad.zero_jvp("ne"),
       batch=_bat.make_elementwise_batch("ne"))

define("lt", binder=lt, impl=quiet(np.less),
       jvp=_ad.zero_jvp("lt"),
       batch=_bat.make_elementwise_batch("lt"))

def le(x: Value, y: Value) -> Value:
    """Elementwise x <= y, of equal-typed operands."""
    return bind("le", x, y)

define("le", binder=le, impl=quiet(np.less_equal),
       jvp=_ad.zero_jvp("le"),
       batch=_bat.make_elementwise_batch("le"))

def gt(x: Value, y: Value) -> Value:
    """Elementwise x > y, of equal-typed operands."""
    return bind("gt", x, y)

define("gt", binder=gt, impl=quiet(np.greater),
       jvp=_ad.zero_jvp("gt"),
       batch=_bat.make_elementwise_batch("gt"))

def ge(x: Value, y: Value) -> Value:
    """Elementwise x >= y, of equal-typed operands."""
    return bind("ge", x, y)

define("ge", binder=ge, impl=quiet(np.greater_equal),
       jvp=_ad.zero_jvp("ge"),
       batch=_bat.make_elementwise_batch("ge"))

def shift_left(x: Value, y: Value) -> Value:
    """Elementwise x << y (0 when y is out of range), of equal-typed operands."""
    return bind("shift_left", x, y)

define("shift_left", binder=shift_left, impl=quiet(_shift("left")),
       jvp=_ad.zero_jvp("shift_left"),
       batch=_bat.make_elementwise_batch("shift_left"))

def shift_right_logical(x: Value, y: Value) -> Value:
    """Elementwise logical x >> y (0 when y is out of range), of equal-typed operands."""
    return bind("shift_right_logical", x, y)

define("shift_right_logical", binder=shift_right_logical, impl=quiet(_shift("logical")),
       jvp=_ad.zero_jvp("shift_right_logical"),
       batch=_bat.make_elementwise_batch("shift_right_logical"))

def shift_right_arithmetic(x: Value, y: Value) -> Value:
    """Elementwise arithmetic x >> y (sign fill when y is out of range), of equal-typed operands."""
    return bind("shift_right_arithmetic", x, y)

define("shift_right_arithmetic", binder=shift_right_arithmetic, impl=quiet(_shift("arithmetic")),
       jvp=_ad.zero_jvp("shift_right_arithmetic"),
       batch=_bat.make_elementwise_batch("shift_right_arithmetic"))

def integer_pow(x: Value, y: int) -> Value:
    """Elementwise x ** y for a static int `y` (by repeated multiplication)."""
    return bind("integer_pow", x, y=int(y))

define("integer_pow", binder=integer_pow, impl=_integer_pow,
       jvp=_ad.jvp_rule("integer_pow", _integer_pow_jvp),
       batch=_bat.make_elementwise_batch("integer_pow"))

def select(pred: Value, on_true: Value, on_false: Value) -> Value:
    """Elementwise `on_true` where the bool `pred` holds, else `on_false` (numpy's `where`)."""
    return bind("select", pred, on_true, on_false)

define("select", binder=select, impl=lambda pred, a, b: np.where(pred, a, b),
       jvp=_ad.linear_jvp("select", linear=(1, 2)),
       transpose=_select_transpose,
       batch=_bat.make_elementwise_batch("select"))

define("clamp", binder=clamp, impl=quiet(lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi)),
       jvp=_ad.jvp_rule("clamp", _clamp_jvp_lo, _clamp_jvp_x, _clamp_jvp_hi),
       batch=_clamp_batch)

def convert_element_type(x: Value, new_dtype: Any, weak: bool = False) -> Value:
    """`x` converted to `new_dtype` (float to int truncates and saturates); `x` itself if it
    already has that type."""
    return ops.convert_element_type(x, as_dtype(new_dtype), weak)

define("convert_element_type", binder=convert_element_type, impl=_convert,
       jvp=_convert_jvp,
       transpose=_convert_transpose,
       batch=_bat.make_elementwise_batch("convert_element_type"))

def bitcast_convert_type(x: Value, new_dtype: Any) -> Value:
    """`x`'s bits read as `new_dtype` (of the same item size)."""
    return bind("bitcast_convert_type", x, new_dtype=_fnx_ir.dtype(new_dtype))

define("bitcast_convert_type", binder=bitcast_convert_type, impl=_bitcast,
       jvp=_ad.zero_jvp("bitcast_convert_type"),
       batch=_bat.make_elementwise_batch("bitcast_convert_type"))
