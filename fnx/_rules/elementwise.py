"""Elementwise primitives: numpy implementation, jvp, transpose and batching rules."""
from __future__ import annotations

import math
import statistics

import numpy as np

from .._core.rules import define
from ._util import quiet
from .._core import batching as _bat
from .._core import ad as _ad
from .. import lax as _lax
import fnx_ir as _fnx_ir

_FLOAT_UNARY = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "floor": np.floor, "ceil": np.ceil,
    "round": np.round, "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log,
    "log2": np.log2, "log1p": np.log1p, "sqrt": np.sqrt, "cbrt": np.cbrt, "sin": np.sin,
    "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh,
    "acosh": np.arccosh, "atanh": np.arctanh, "isfinite": np.isfinite, "not": np.invert,
}


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


_FLOAT_UNARY.update({"rsqrt": _rsqrt, "logistic": _logistic, "erf": _libm(math.erf),
                     "erfc": _libm(math.erfc), "erf_inv": _libm(_erf_inv_scalar)})

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
    return v if tv.shape == tx.shape else _lax.broadcast_in_dim(v, tx.shape, ())


def _unary_jvp(name, fn):
    return _ad.jvp_rule(name, fn)


_L = _lax
_LN2 = math.log(2.0)
_JVP = {
    "neg": _ad.linear_jvp("neg"),
    # abs' = +1 where x >= 0 (so 1 at 0 and -0), -1 elsewhere (NaN included), as JAX
    "abs": _unary_jvp("abs", lambda g, y, x: _L.select(_L.ge(x, _c(x, 0)), g, _L.neg(g))),
    "exp": _unary_jvp("exp", lambda g, y, x: _L.mul(g, y)),
    "exp2": _unary_jvp("exp2", lambda g, y, x: _L.mul(g, _L.mul(y, _c(y, _LN2)))),
    "expm1": _unary_jvp("expm1", lambda g, y, x: _L.mul(g, _L.add(y, _c(y, 1)))),
    "log": _unary_jvp("log", lambda g, y, x: _L.div(g, x)),
    "log2": _unary_jvp("log2", lambda g, y, x: _L.div(g, _L.mul(x, _c(x, _LN2)))),
    "log1p": _unary_jvp("log1p", lambda g, y, x: _L.div(g, _L.add(x, _c(x, 1)))),
    # sqrt'(0) = +inf, as in JAX: 0.5 / sqrt(x)
    "sqrt": _unary_jvp("sqrt", lambda g, y, x: _L.mul(g, _L.div(_c(y, 0.5), y))),
    "rsqrt": _unary_jvp("rsqrt", lambda g, y, x: _L.mul(g, _L.mul(_c(x, -0.5), _L.div(y, x)))),
    "cbrt": _unary_jvp("cbrt", lambda g, y, x: _L.mul(
        g, _L.mul(_c(x, 1 / 3), _L.integer_pow(y, -2)))),
    "sin": _unary_jvp("sin", lambda g, y, x: _L.mul(g, _L.cos(x))),
    "cos": _unary_jvp("cos", lambda g, y, x: _L.neg(_L.mul(g, _L.sin(x)))),
    "tan": _unary_jvp("tan", lambda g, y, x: _L.mul(g, _L.add(_c(y, 1), _L.mul(y, y)))),
    "asin": _unary_jvp("asin", lambda g, y, x: _L.mul(
        g, _L.rsqrt(_L.sub(_c(x, 1), _L.mul(x, x))))),
    "acos": _unary_jvp("acos", lambda g, y, x: _L.neg(_L.mul(
        g, _L.rsqrt(_L.sub(_c(x, 1), _L.mul(x, x)))))),
    "atan": _unary_jvp("atan", lambda g, y, x: _L.div(g, _L.add(_c(x, 1), _L.mul(x, x)))),
    "sinh": _unary_jvp("sinh", lambda g, y, x: _L.mul(g, _L.cosh(x))),
    "cosh": _unary_jvp("cosh", lambda g, y, x: _L.mul(g, _L.sinh(x))),
    # tanh' = 1 - y² computed as (1 - y)(1 + y): no cancellation as |y| -> 1
    "tanh": _unary_jvp("tanh", lambda g, y, x: _L.mul(
        g, _L.mul(_L.sub(_c(y, 1), y), _L.add(_c(y, 1), y)))),
    "asinh": _unary_jvp("asinh", lambda g, y, x: _L.mul(
        g, _L.rsqrt(_L.add(_L.mul(x, x), _c(x, 1))))),
    "acosh": _unary_jvp("acosh", lambda g, y, x: _L.mul(
        g, _L.rsqrt(_L.mul(_L.sub(x, _c(x, 1)), _L.add(x, _c(x, 1)))))),
    "atanh": _unary_jvp("atanh", lambda g, y, x: _L.div(
        g, _L.mul(_L.sub(_c(x, 1), x), _L.add(_c(x, 1), x)))),
    # logistic' = s (1 - s): from the (stable) output, never exp of a large argument
    "logistic": _unary_jvp("logistic", lambda g, y, x: _L.mul(g, _L.mul(y, _L.sub(_c(y, 1), y)))),
    "erf": _unary_jvp("erf", lambda g, y, x: _L.mul(
        g, _L.mul(_c(x, 2 / math.sqrt(math.pi)), _L.exp(_L.neg(_L.mul(x, x)))))),
    "erfc": _unary_jvp("erfc", lambda g, y, x: _L.mul(
        g, _L.mul(_c(x, -2 / math.sqrt(math.pi)), _L.exp(_L.neg(_L.mul(x, x)))))),
    "erf_inv": _unary_jvp("erf_inv", lambda g, y, x: _L.mul(
        g, _L.mul(_c(y, math.sqrt(math.pi) / 2), _L.exp(_L.mul(y, y))))),
}
for _name in ("sign", "floor", "ceil", "round", "isfinite", "not", "stop_gradient",
              "and", "or", "xor", "shift_left", "shift_right_logical",
              "shift_right_arithmetic", "eq", "ne", "lt", "le", "gt", "ge",
              "bitcast_convert_type"):
    _JVP[_name] = _ad.zero_jvp(_name)  # piecewise constant, boolean or integer results


def _add_jvp(primals, tangents):
    return _L.add(*primals), _ad.add_tangents(*tangents)


def _sub_jvp(primals, tangents):
    tx, ty = tangents
    return _L.sub(*primals), (_L.neg(ty) if tx is None else tx if ty is None else _L.sub(tx, ty))


def _pow_jvp_x(g, ans, x, y):
    # y * x**(y-1), as JAX for float exponents (so 0 * 0**-1 = NaN at x = y = 0)
    return _L.mul(g, _L.mul(y, _L.pow(x, _L.sub(y, _c(y, 1)))))


def _pow_jvp_y(g, ans, x, y):
    # log(x) * x**y, and 0 where x == 0 (log(0) replaced by log(1)), as JAX
    safe = _L.select(_L.eq(x, _c(x, 0)), _c(x, 1), x)
    return _L.mul(g, _L.mul(_L.log(safe), ans))


def _atan2_denominator(x, y):
    return _L.add(_L.mul(x, x), _L.mul(y, y))


def balanced_weights(x, y, ans):
    """The weights of x's and y's tangents in max/min(x, y) = ans (JAX's convention):
    the operand equal to the result takes it all, ties split it equally, and where the
    result is NaN nobody takes anything."""
    one, zero = _c(ans, 1), _c(ans, 0)
    hit_x, hit_y = _L.eq(x, ans), _L.eq(y, ans)
    wx = _L.div(_L.select(hit_x, one, zero), _L.select(hit_y, _c(ans, 2), one))
    wy = _L.div(_L.select(hit_y, one, zero), _L.select(hit_x, _c(ans, 2), one))
    return wx, wy


def _minmax_jvp(name):
    """max/min: the winner's tangent; at ties each operand gets half (`balanced_weights`)."""
    def rule(primals, tangents):
        x, y = primals
        tx, ty = tangents
        ans = _ad.bind(name, x, y)
        wx, wy = balanced_weights(x, y, ans)
        out = None if tx is None else _L.mul(tx, wx)
        if ty is not None:
            out = _ad.add_tangents(out, _L.mul(ty, wy))
        return ans, out
    rule.__name__ = f"jvp_{name}"
    return rule


def _rem_jvp_y(g, ans, x, y):
    q = _L.div(x, y)  # d/dy rem(x, y) = -trunc(x / y)
    return _L.mul(_L.neg(g), _L.mul(_L.sign(q), _L.floor(_L.abs(q))))


_JVP.update({
    "add": _add_jvp,
    "sub": _sub_jvp,
    "mul": _ad.jvp_rule("mul", lambda g, a, x, y: _L.mul(g, y), lambda g, a, x, y: _L.mul(x, g)),
    "div": _ad.jvp_rule("div", lambda g, a, x, y: _L.div(g, y),
                        lambda g, a, x, y: _L.mul(_L.mul(_L.neg(g), x), _L.integer_pow(y, -2))),
    "rem": _ad.jvp_rule("rem", lambda g, a, x, y: g, _rem_jvp_y),
    "pow": _ad.jvp_rule("pow", _pow_jvp_x, _pow_jvp_y),
    "atan2": _ad.jvp_rule("atan2",
                          lambda g, a, x, y: _L.mul(g, _L.div(y, _atan2_denominator(x, y))),
                          lambda g, a, x, y: _L.mul(g, _L.div(_L.neg(x), _atan2_denominator(x, y)))),
    "max": _minmax_jvp("max"),
    "min": _minmax_jvp("min"),
})


def _integer_pow_jvp(g, ans, x, *, y):
    if y == 0:
        return None
    if y == 1:
        return g
    return _L.mul(g, _L.mul(_c(x, y), x if y == 2 else _L.integer_pow(x, y - 1)))


def _clamp_jvp_lo(g, ans, lo, x, hi):
    lo_b, hi_b = _bcast_to(lo, x), _bcast_to(hi, x)
    inside = _L.bitwise_and(_L.gt(lo_b, x), _L.lt(lo_b, hi_b))
    return _L.select(inside, _bcast_to(g, x), _c(x, 0))


def _clamp_jvp_x(g, ans, lo, x, hi):
    inside = _L.bitwise_and(_L.gt(x, _bcast_to(lo, x)), _L.lt(x, _bcast_to(hi, x)))
    return _L.select(inside, g, _c(x, 0))


def _clamp_jvp_hi(g, ans, lo, x, hi):
    return _L.select(_L.lt(_bcast_to(hi, x), x), _bcast_to(g, x), _c(x, 0))


def _convert_jvp(primals, tangents, *, new_dtype, weak):
    (x,), (t,) = primals, tangents
    ans = _ad.bind("convert_element_type", x, new_dtype=new_dtype, weak=weak)
    if t is None or not new_dtype.is_float:
        return ans, None  # float -> int/bool: piecewise constant
    return ans, _ad.bind("convert_element_type", t, new_dtype=new_dtype, weak=weak)


_JVP.update({
    "integer_pow": _ad.jvp_rule("integer_pow", _integer_pow_jvp),
    "select": _ad.linear_jvp("select", linear=(1, 2)),
    "clamp": _ad.jvp_rule("clamp", _clamp_jvp_lo, _clamp_jvp_x, _clamp_jvp_hi),
    "convert_element_type": _convert_jvp,
})


def _undef(x):
    return _ad.is_undefined(x)


def _mul_transpose(ct, x, y):
    if _undef(x) and _undef(y):
        raise NotImplementedError("transpose of mul: both operands are linear (x * y is not "
                                  "linear in (x, y))")
    return [_L.mul(ct, y), None] if _undef(x) else [None, _L.mul(x, ct)]


def _div_transpose(ct, x, y):
    if _undef(y):
        raise NotImplementedError("transpose of div: it is linear only in the numerator")
    return [_L.div(ct, y), None]


def _select_transpose(ct, pred, a, b):
    zeros = _ad.zeros_like_aval(_ad.aval_of(a).strong())
    return [None, _L.select(pred, ct, zeros) if _undef(a) else None,
            _L.select(pred, zeros, ct) if _undef(b) else None]


def _convert_transpose(ct, x, *, new_dtype, weak):
    t = x.aval
    return [_ad.bind("convert_element_type", ct, new_dtype=t.dtype, weak=t.weak)]


_TRANSPOSE = {
    "neg": lambda ct, x: [_L.neg(ct)],
    "add": lambda ct, x, y: [ct if _undef(x) else None, ct if _undef(y) else None],
    "sub": lambda ct, x, y: [ct if _undef(x) else None, _L.neg(ct) if _undef(y) else None],
    "mul": _mul_transpose,
    "div": _div_transpose,
    "select": _select_transpose,
    "convert_element_type": _convert_transpose,
}


for _name, _fn in _FLOAT_UNARY.items():
    define(_name, impl=quiet(_fn), batch=_bat.make_elementwise_batch(_name),
           jvp=_JVP[_name], transpose=_TRANSPOSE.get(_name))

define("stop_gradient", impl=np.array, batch=_bat.make_elementwise_batch("stop_gradient"),
       jvp=_JVP["stop_gradient"])


# ------------------------------------------------------------------- binary

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


_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": _div, "rem": _rem,
    "pow": _pow, "atan2": np.arctan2, "max": np.maximum, "min": np.minimum,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
    "gt": np.greater, "ge": np.greater_equal, "shift_left": _shift("left"),
    "shift_right_logical": _shift("logical"), "shift_right_arithmetic": _shift("arithmetic"),
}
for _name, _fn in _BINARY.items():
    define(_name, impl=quiet(_fn), batch=_bat.make_elementwise_batch(_name),
           jvp=_JVP[_name], transpose=_TRANSPOSE.get(_name))


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
            bounds.append(_lax.broadcast_in_dim(b, full, (d,)))
        else:
            bounds.append(_bat.matchaxis(b, db, size, d))
    return _bat.bind("clamp", bounds[0], x, bounds[1]), d


define("integer_pow", impl=_integer_pow, batch=_bat.make_elementwise_batch("integer_pow"),
       jvp=_JVP["integer_pow"])
define("select", impl=lambda pred, a, b: np.where(pred, a, b),
       batch=_bat.make_elementwise_batch("select"), jvp=_JVP["select"],
       transpose=_TRANSPOSE["select"])
define("clamp", impl=quiet(lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi)),
       batch=_clamp_batch, jvp=_JVP["clamp"])


@quiet
def _convert(x, *, new_dtype, weak):
    return _fnx_ir.cast(x, new_dtype, copy=True)


define("convert_element_type", impl=_convert,
       batch=_bat.make_elementwise_batch("convert_element_type"),
       jvp=_JVP["convert_element_type"], transpose=_TRANSPOSE["convert_element_type"])
define("bitcast_convert_type",
       impl=lambda x, *, new_dtype: np.ascontiguousarray(x).view(new_dtype.np)  # ascontiguousarray
       .reshape(np.shape(x)).copy(),  # makes 0-d inputs 1-d: restore the shape
       batch=_bat.make_elementwise_batch("bitcast_convert_type"),
       jvp=_JVP["bitcast_convert_type"])
