"""Elementwise primitives: numpy implementation, jvp, transpose and batching rules."""
from __future__ import annotations

import math
import statistics

import numpy as np

from .._core.rules import define
from ._util import quiet
from .._core import batching as _bat
from .._core import ad as _ad
from . import binders as lax
import fnx_ir as _fnx_ir


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
    if abs(y) == 1:
        return math.copysign(math.inf, y)
    if y == 0:
        return y
    a = abs(y)
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
    return v if tv.shape == tx.shape else lax.broadcast_in_dim(v, tx.shape, ())


_LN2 = math.log(2.0)


def _add_jvp(primals, tangents):
    return lax.add(*primals), _ad.add_tangents(*tangents)


def _sub_jvp(primals, tangents):
    tx, ty = tangents
    return lax.sub(*primals), (lax.neg(ty) if tx is None else tx if ty is None else lax.sub(tx, ty))


def _pow_jvp_x(g, ans, x, y):
    # y * x**(y-1), as JAX for float exponents (so 0 * 0**-1 = NaN at x = y = 0)
    return lax.mul(g, lax.mul(y, lax.pow(x, lax.sub(y, _c(y, 1)))))


def _pow_jvp_y(g, ans, x, y):
    # log(x) * x**y, and 0 where x == 0 (log(0) replaced by log(1)), as JAX
    safe = lax.select(lax.eq(x, _c(x, 0)), _c(x, 1), x)
    return lax.mul(g, lax.mul(lax.log(safe), ans))


def _atan2_denominator(x, y):
    return lax.add(lax.mul(x, x), lax.mul(y, y))


def balanced_weights(x, y, ans):
    """The weights of x's and y's tangents in max/min(x, y) = ans (JAX's convention):
    the operand equal to the result takes it all, ties split it equally, and where the
    result is NaN nobody takes anything."""
    one, zero = _c(ans, 1), _c(ans, 0)
    hit_x, hit_y = lax.eq(x, ans), lax.eq(y, ans)
    wx = lax.div(lax.select(hit_x, one, zero), lax.select(hit_y, _c(ans, 2), one))
    wy = lax.div(lax.select(hit_y, one, zero), lax.select(hit_x, _c(ans, 2), one))
    return wx, wy


def _minmax_jvp(name):
    """max/min: the winner's tangent; at ties each operand gets half (`balanced_weights`)."""
    def rule(primals, tangents):
        x, y = primals
        tx, ty = tangents
        ans = _ad.bind(name, x, y)
        wx, wy = balanced_weights(x, y, ans)
        out = None if tx is None else lax.mul(tx, wx)
        if ty is not None:
            out = _ad.add_tangents(out, lax.mul(ty, wy))
        return ans, out
    rule.__name__ = f"jvp_{name}"
    return rule


def _rem_jvp_y(g, ans, x, y):
    q = lax.div(x, y)  # d/dy rem(x, y) = -trunc(x / y)
    return lax.mul(lax.neg(g), lax.mul(lax.sign(q), lax.floor(lax.abs(q))))


def _integer_pow_jvp(g, ans, x, *, y):
    if y == 0:
        return None
    if y == 1:
        return g
    return lax.mul(g, lax.mul(_c(x, y), x if y == 2 else lax.integer_pow(x, y - 1)))


def _clamp_jvp_lo(g, ans, lo, x, hi):
    lo_b, hi_b = _bcast_to(lo, x), _bcast_to(hi, x)
    inside = lax.bitwise_and(lax.gt(lo_b, x), lax.lt(lo_b, hi_b))
    return lax.select(inside, _bcast_to(g, x), _c(x, 0))


def _clamp_jvp_x(g, ans, lo, x, hi):
    inside = lax.bitwise_and(lax.gt(x, _bcast_to(lo, x)), lax.lt(x, _bcast_to(hi, x)))
    return lax.select(inside, g, _c(x, 0))


def _clamp_jvp_hi(g, ans, lo, x, hi):
    return lax.select(lax.lt(_bcast_to(hi, x), x), _bcast_to(g, x), _c(x, 0))


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
    return [lax.mul(ct, y), None] if _undef(x) else [None, lax.mul(x, ct)]


def _div_transpose(ct, x, y):
    if _undef(y):
        raise NotImplementedError("transpose of div: it is linear only in the numerator")
    return [lax.div(ct, y), None]


def _select_transpose(ct, pred, a, b):
    zeros = _ad.zeros_like_aval(_ad.aval_of(a).strong())
    return [None, lax.select(pred, ct, zeros) if _undef(a) else None,
            lax.select(pred, zeros, ct) if _undef(b) else None]


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
    acc, base, n = np.ones_like(x), x, abs(y)
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
            bounds.append(lax.broadcast_in_dim(b, full, (d,)))
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

define("neg", binder=lax.neg, impl=quiet(np.negative),
       jvp=_ad.linear_jvp("neg"),
       transpose=lambda ct, x: [lax.neg(ct)],
       batch=_bat.make_elementwise_batch("neg"))

define("abs", binder=lax.abs, impl=quiet(np.abs),
       jvp=_ad.jvp_rule("abs", lambda g, y, x: lax.select(lax.ge(x, _c(x, 0)), g, lax.neg(g))),
       batch=_bat.make_elementwise_batch("abs"))

define("sign", binder=lax.sign, impl=quiet(np.sign),
       jvp=_ad.zero_jvp("sign"),
       batch=_bat.make_elementwise_batch("sign"))

define("floor", binder=lax.floor, impl=quiet(np.floor),
       jvp=_ad.zero_jvp("floor"),
       batch=_bat.make_elementwise_batch("floor"))

define("ceil", binder=lax.ceil, impl=quiet(np.ceil),
       jvp=_ad.zero_jvp("ceil"),
       batch=_bat.make_elementwise_batch("ceil"))

define("round", binder=lax.round, impl=quiet(np.round),
       jvp=_ad.zero_jvp("round"),
       batch=_bat.make_elementwise_batch("round"))

define("exp", binder=lax.exp, impl=quiet(np.exp),
       jvp=_ad.jvp_rule("exp", lambda g, y, x: lax.mul(g, y)),
       batch=_bat.make_elementwise_batch("exp"))

define("exp2", binder=lax.exp2, impl=quiet(np.exp2),
       jvp=_ad.jvp_rule("exp2", lambda g, y, x: lax.mul(g, lax.mul(y, _c(y, _LN2)))),
       batch=_bat.make_elementwise_batch("exp2"))

define("expm1", binder=lax.expm1, impl=quiet(np.expm1),
       jvp=_ad.jvp_rule("expm1", lambda g, y, x: lax.mul(g, lax.add(y, _c(y, 1)))),
       batch=_bat.make_elementwise_batch("expm1"))

define("log", binder=lax.log, impl=quiet(np.log),
       jvp=_ad.jvp_rule("log", lambda g, y, x: lax.div(g, x)),
       batch=_bat.make_elementwise_batch("log"))

define("log2", binder=lax.log2, impl=quiet(np.log2),
       jvp=_ad.jvp_rule("log2", lambda g, y, x: lax.div(g, lax.mul(x, _c(x, _LN2)))),
       batch=_bat.make_elementwise_batch("log2"))

define("log1p", binder=lax.log1p, impl=quiet(np.log1p),
       jvp=_ad.jvp_rule("log1p", lambda g, y, x: lax.div(g, lax.add(x, _c(x, 1)))),
       batch=_bat.make_elementwise_batch("log1p"))

define("sqrt", binder=lax.sqrt, impl=quiet(np.sqrt),
       jvp=_ad.jvp_rule("sqrt", lambda g, y, x: lax.mul(g, lax.div(_c(y, 0.5), y))),
       batch=_bat.make_elementwise_batch("sqrt"))

define("cbrt", binder=lax.cbrt, impl=quiet(np.cbrt),
       jvp=_ad.jvp_rule("cbrt", lambda g, y, x: lax.mul(
       g, lax.mul(_c(x, 1 / 3), lax.integer_pow(y, -2)))),
       batch=_bat.make_elementwise_batch("cbrt"))

define("sin", binder=lax.sin, impl=quiet(np.sin),
       jvp=_ad.jvp_rule("sin", lambda g, y, x: lax.mul(g, lax.cos(x))),
       batch=_bat.make_elementwise_batch("sin"))

define("cos", binder=lax.cos, impl=quiet(np.cos),
       jvp=_ad.jvp_rule("cos", lambda g, y, x: lax.neg(lax.mul(g, lax.sin(x)))),
       batch=_bat.make_elementwise_batch("cos"))

define("tan", binder=lax.tan, impl=quiet(np.tan),
       jvp=_ad.jvp_rule("tan", lambda g, y, x: lax.mul(g, lax.add(_c(y, 1), lax.mul(y, y)))),
       batch=_bat.make_elementwise_batch("tan"))

define("asin", binder=lax.asin, impl=quiet(np.arcsin),
       jvp=_ad.jvp_rule("asin", lambda g, y, x: lax.mul(
       g, lax.rsqrt(lax.sub(_c(x, 1), lax.mul(x, x))))),
       batch=_bat.make_elementwise_batch("asin"))

define("acos", binder=lax.acos, impl=quiet(np.arccos),
       jvp=_ad.jvp_rule("acos", lambda g, y, x: lax.neg(lax.mul(
       g, lax.rsqrt(lax.sub(_c(x, 1), lax.mul(x, x)))))),
       batch=_bat.make_elementwise_batch("acos"))

define("atan", binder=lax.atan, impl=quiet(np.arctan),
       jvp=_ad.jvp_rule("atan", lambda g, y, x: lax.div(g, lax.add(_c(x, 1), lax.mul(x, x)))),
       batch=_bat.make_elementwise_batch("atan"))

define("sinh", binder=lax.sinh, impl=quiet(np.sinh),
       jvp=_ad.jvp_rule("sinh", lambda g, y, x: lax.mul(g, lax.cosh(x))),
       batch=_bat.make_elementwise_batch("sinh"))

define("cosh", binder=lax.cosh, impl=quiet(np.cosh),
       jvp=_ad.jvp_rule("cosh", lambda g, y, x: lax.mul(g, lax.sinh(x))),
       batch=_bat.make_elementwise_batch("cosh"))

define("tanh", binder=lax.tanh, impl=quiet(np.tanh),
       jvp=_ad.jvp_rule("tanh", lambda g, y, x: lax.mul(
       g, lax.mul(lax.sub(_c(y, 1), y), lax.add(_c(y, 1), y)))),
       batch=_bat.make_elementwise_batch("tanh"))

define("asinh", binder=lax.asinh, impl=quiet(np.arcsinh),
       jvp=_ad.jvp_rule("asinh", lambda g, y, x: lax.mul(
      g, lax.rsqrt(lax.add(lax.mul(x, x), _c(x, 1))))),
       batch=_bat.make_elementwise_batch("asinh"))

define("acosh", binder=lax.acosh, impl=quiet(np.arccosh),
       jvp=_ad.jvp_rule("acosh", lambda g, y, x: lax.mul(
      g, lax.rsqrt(lax.mul(lax.sub(x, _c(x, 1)), lax.add(x, _c(x, 1)))))),
       batch=_bat.make_elementwise_batch("acosh"))

define("atanh", binder=lax.atanh, impl=quiet(np.arctanh),
       jvp=_ad.jvp_rule("atanh", lambda g, y, x: lax.div(
      g, lax.mul(lax.sub(_c(x, 1), x), lax.add(_c(x, 1), x)))),
       batch=_bat.make_elementwise_batch("atanh"))

define("isfinite", binder=lax.isfinite, impl=quiet(np.isfinite),
       jvp=_ad.zero_jvp("isfinite"),
       batch=_bat.make_elementwise_batch("isfinite"))

define("not", binder=lax.bitwise_not, impl=quiet(np.invert),
       jvp=_ad.zero_jvp("not"),
       batch=_bat.make_elementwise_batch("not"))

define("rsqrt", binder=lax.rsqrt, impl=quiet(_rsqrt),
       jvp=_ad.jvp_rule("rsqrt", lambda g, y, x: lax.mul(g, lax.mul(_c(x, -0.5), lax.div(y, x)))),
       batch=_bat.make_elementwise_batch("rsqrt"))

define("logistic", binder=lax.logistic, impl=quiet(_logistic),
       jvp=_ad.jvp_rule("logistic", lambda g, y, x: lax.mul(g, lax.mul(y, lax.sub(_c(y, 1), y)))),
       batch=_bat.make_elementwise_batch("logistic"))

define("erf", binder=lax.erf, impl=quiet(_libm(math.erf)),
       jvp=_ad.jvp_rule("erf", lambda g, y, x: lax.mul(
                g, lax.mul(_c(x, 2 / math.sqrt(math.pi)), lax.exp(lax.neg(lax.mul(x, x)))))),
       batch=_bat.make_elementwise_batch("erf"))

define("erfc", binder=lax.erfc, impl=quiet(_libm(math.erfc)),
       jvp=_ad.jvp_rule("erfc", lambda g, y, x: lax.mul(
       g, lax.mul(_c(x, -2 / math.sqrt(math.pi)), lax.exp(lax.neg(lax.mul(x, x)))))),
       batch=_bat.make_elementwise_batch("erfc"))

define("erf_inv", binder=lax.erf_inv, impl=quiet(_libm(_erf_inv_scalar)),
       jvp=_ad.jvp_rule("erf_inv", lambda g, y, x: lax.mul(
    g, lax.mul(_c(y, math.sqrt(math.pi) / 2), lax.exp(lax.mul(y, y))))),
       batch=_bat.make_elementwise_batch("erf_inv"))

define("stop_gradient", binder=lax.stop_gradient, impl=np.array,
       jvp=_ad.zero_jvp("stop_gradient"),
       batch=_bat.make_elementwise_batch("stop_gradient"))

define("add", binder=lax.add, impl=quiet(np.add),
       jvp=_add_jvp,
       transpose=lambda ct, x, y: [ct if _undef(x) else None, ct if _undef(y) else None],
       batch=_bat.make_elementwise_batch("add"))

define("sub", binder=lax.sub, impl=quiet(np.subtract),
       jvp=_sub_jvp,
       transpose=lambda ct, x, y: [ct if _undef(x) else None, lax.neg(ct) if _undef(y) else None],
       batch=_bat.make_elementwise_batch("sub"))

define("mul", binder=lax.mul, impl=quiet(np.multiply),
       jvp=_ad.jvp_rule("mul", lambda g, a, x, y: lax.mul(g, y), lambda g, a, x, y: lax.mul(x, g)),
       transpose=_mul_transpose,
       batch=_bat.make_elementwise_batch("mul"))

define("div", binder=lax.div, impl=quiet(_div),
       jvp=_ad.jvp_rule("div", lambda g, a, x, y: lax.div(g, y),
                        lambda g, a, x, y: lax.mul(lax.mul(lax.neg(g), x), lax.integer_pow(y, -2))),
       transpose=_div_transpose,
       batch=_bat.make_elementwise_batch("div"))

define("rem", binder=lax.rem, impl=quiet(_rem),
       jvp=_ad.jvp_rule("rem", lambda g, a, x, y: g, _rem_jvp_y),
       batch=_bat.make_elementwise_batch("rem"))

define("pow", binder=lax.pow, impl=quiet(_pow),
       jvp=_ad.jvp_rule("pow", _pow_jvp_x, _pow_jvp_y),
       batch=_bat.make_elementwise_batch("pow"))

define("atan2", binder=lax.atan2, impl=quiet(np.arctan2),
       jvp=_ad.jvp_rule("atan2",
                        lambda g, a, x, y: lax.mul(g, lax.div(y, _atan2_denominator(x, y))),
                        lambda g, a, x, y: lax.mul(g, lax.div(lax.neg(x), _atan2_denominator(x, y)))),
       batch=_bat.make_elementwise_batch("atan2"))

define("max", binder=lax.max, impl=quiet(np.maximum),
       jvp=_minmax_jvp("max"),
       batch=_bat.make_elementwise_batch("max"))

define("min", binder=lax.min, impl=quiet(np.minimum),
       jvp=_minmax_jvp("min"),
       batch=_bat.make_elementwise_batch("min"))

define("and", binder=lax.bitwise_and, impl=quiet(np.bitwise_and),
       jvp=_ad.zero_jvp("and"),
       batch=_bat.make_elementwise_batch("and"))

define("or", binder=lax.bitwise_or, impl=quiet(np.bitwise_or),
       jvp=_ad.zero_jvp("or"),
       batch=_bat.make_elementwise_batch("or"))

define("xor", binder=lax.bitwise_xor, impl=quiet(np.bitwise_xor),
       jvp=_ad.zero_jvp("xor"),
       batch=_bat.make_elementwise_batch("xor"))

define("eq", binder=lax.eq, impl=quiet(np.equal),
       jvp=_ad.zero_jvp("eq"),
       batch=_bat.make_elementwise_batch("eq"))

define("ne", binder=lax.ne, impl=quiet(np.not_equal),
       jvp=_ad.zero_jvp("ne"),
       batch=_bat.make_elementwise_batch("ne"))

define("lt", binder=lax.lt, impl=quiet(np.less),
       jvp=_ad.zero_jvp("lt"),
       batch=_bat.make_elementwise_batch("lt"))

define("le", binder=lax.le, impl=quiet(np.less_equal),
       jvp=_ad.zero_jvp("le"),
       batch=_bat.make_elementwise_batch("le"))

define("gt", binder=lax.gt, impl=quiet(np.greater),
       jvp=_ad.zero_jvp("gt"),
       batch=_bat.make_elementwise_batch("gt"))

define("ge", binder=lax.ge, impl=quiet(np.greater_equal),
       jvp=_ad.zero_jvp("ge"),
       batch=_bat.make_elementwise_batch("ge"))

define("shift_left", binder=lax.shift_left, impl=quiet(_shift("left")),
       jvp=_ad.zero_jvp("shift_left"),
       batch=_bat.make_elementwise_batch("shift_left"))

define("shift_right_logical", binder=lax.shift_right_logical, impl=quiet(_shift("logical")),
       jvp=_ad.zero_jvp("shift_right_logical"),
       batch=_bat.make_elementwise_batch("shift_right_logical"))

define("shift_right_arithmetic", binder=lax.shift_right_arithmetic, impl=quiet(_shift("arithmetic")),
       jvp=_ad.zero_jvp("shift_right_arithmetic"),
       batch=_bat.make_elementwise_batch("shift_right_arithmetic"))

define("integer_pow", binder=lax.integer_pow, impl=_integer_pow,
       jvp=_ad.jvp_rule("integer_pow", _integer_pow_jvp),
       batch=_bat.make_elementwise_batch("integer_pow"))

define("select", binder=lax.select, impl=lambda pred, a, b: np.where(pred, a, b),
       jvp=_ad.linear_jvp("select", linear=(1, 2)),
       transpose=_select_transpose,
       batch=_bat.make_elementwise_batch("select"))

define("clamp", binder=lax.clamp, impl=quiet(lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi)),
       jvp=_ad.jvp_rule("clamp", _clamp_jvp_lo, _clamp_jvp_x, _clamp_jvp_hi),
       batch=_clamp_batch)

define("convert_element_type", binder=lax.convert_element_type, impl=_convert,
       jvp=_convert_jvp,
       transpose=_convert_transpose,
       batch=_bat.make_elementwise_batch("convert_element_type"))

define("bitcast_convert_type", binder=lax.bitcast_convert_type, impl=_bitcast,
       jvp=_ad.zero_jvp("bitcast_convert_type"),
       batch=_bat.make_elementwise_batch("bitcast_convert_type"))
