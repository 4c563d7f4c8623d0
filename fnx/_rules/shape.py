"""Shape primitives: numpy implementation, jvp, transpose and batching rules."""
from __future__ import annotations

import numpy as np

from .._core.rules import define
from .._core import batching as _bat
from .._core import ad as _ad
from .. import lax as _lax
import fnx_ir as _fnx_ir


def _iota(*, dtype, shape, dimension):
    line = np.arange(shape[dimension], dtype=dtype.np)
    view = line.reshape([-1 if i == dimension else 1 for i in range(len(shape))])
    return np.broadcast_to(view, shape)


def _broadcast_in_dim(x, *, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _pad(x, value, *, padding_config):
    """Operand element `i` lands at `lo + i * (interior + 1)` of each dim; those landing outside
    the output (negative `lo`/`hi` crop) are dropped. The output size is the shape rule's,
    also for an empty dim (whose output is all padding)."""
    x = np.asarray(x)
    shape, src, dst = [], [], []
    for n, (lo, hi, interior) in zip(x.shape, padding_config):
        step = interior + 1
        size = lo + hi + n + max(n - 1, 0) * interior
        first = max(0, -(lo // step))  # the first element landing at >= 0
        last = max(first, min(n, (size - 1 - lo) // step + 1))  # one past the last inside
        shape.append(size)
        src.append(slice(first, last))
        start = lo + first * step
        dst.append(slice(start, max(start, lo + last * step - interior), step))
    out = np.full(shape, value, dtype=x.dtype)
    out[tuple(dst)] = x[tuple(src)]
    return out


# ------------------------------------------------------------------- batching rules
# batch(args, dims, **params) -> (out, out_dim); see fnx/_core/batching.py.

def _iota_batch(args, dims, **params):
    return _bat.bind("iota", **params), None  # no operands: never batched


def _broadcast_in_dim_batch(args, dims, *, shape, broadcast_dimensions):
    """The batch axis goes right after the output dim of the operand dim before it."""
    (x,), (d,) = args, dims
    size = _bat.type_of(x).shape[d]
    bd = broadcast_dimensions
    p = bd[d - 1] + 1 if d > 0 else 0
    new_bd = bd[:d] + (p,) + tuple(b + 1 for b in bd[d:])
    return (_bat.bind("broadcast_in_dim", x, shape=shape[:p] + (size,) + shape[p:],
                      broadcast_dimensions=new_bd), p)


def _reshape_batch(args, dims, *, new_sizes):
    (x,), (d,) = args, dims
    x = _bat.moveaxis(x, d, 0)
    return _lax.reshape(x, (_bat.type_of(x).shape[0],) + new_sizes), 0


def _transpose_batch(args, dims, *, permutation):
    (x,), (d,) = args, dims
    perm = (d,) + tuple(_bat.batched_axis(d, p) for p in permutation)
    return _bat.bind("transpose", x, permutation=perm), 0


def _squeeze_batch(args, dims, *, dimensions):
    (x,), (d,) = args, dims
    new = tuple(_bat.batched_axis(d, a) for a in dimensions)
    return _bat.bind("squeeze", x, dimensions=new), d - sum(1 for a in new if a < d)


def _expand_dims_batch(args, dims, *, dimensions):
    """Operand dim j lands at keep[j] of the per-example output; the batch axis goes just
    before where operand dim d lands (or last)."""
    (x,), (d,) = args, dims
    rank = _bat.type_of(x).ndim - 1
    out_rank = rank + len(dimensions)
    keep = [i for i in range(out_rank) if i not in dimensions]
    p = keep[d] if d < rank else out_rank
    new = tuple(a if a < p else a + 1 for a in dimensions)
    return _bat.bind("expand_dims", x, dimensions=new), p


def _rev_batch(args, dims, *, dimensions):
    (x,), (d,) = args, dims
    new = tuple(_bat.batched_axis(d, a) for a in dimensions)
    return _bat.bind("rev", x, dimensions=new), d


def _concatenate_batch(args, dims, *, dimension):
    xs, d = _bat.common_layout(args, dims)
    return _bat.bind("concatenate", *xs, dimension=_bat.batched_axis(d, dimension)), d


def _pad_batch(args, dims, *, padding_config):
    (x, value), (dx, dv) = args, dims
    if dv is None:  # one padding value: pad the batch axis by nothing
        cfg = padding_config[:dx] + ((0, 0, 0),) + padding_config[dx:]
        return _bat.bind("pad", x, value, padding_config=cfg), dx
    # A padding value per example: pad with zeros, then select each example's value
    # where an (unbatched) mask of the padded positions says so.
    L = _lax
    size = _bat.batch_size(args, dims)
    x = _bat.matchaxis(x, dx, size, 0)
    t = _bat.type_of(x)
    padded = _bat.bind("pad", x, _bat.fnx_ir.literal(0, t.dtype),
                       padding_config=((0, 0, 0),) + padding_config)
    inside = L.full(t.shape[1:], True, _bat.fnx_ir.bool_)
    inside = _bat.bind("pad", inside, _bat.fnx_ir.literal(False, _bat.fnx_ir.bool_),
                       padding_config=padding_config)
    out_shape = _bat.type_of(padded).shape
    inside = _bat.broadcast_batch(inside, size, 0)
    value = L.broadcast_in_dim(_bat.moveaxis(value, dv, 0), out_shape, (0,))
    return L.select(inside, padded, value), 0


# ------------------------------------------------------------------- derivative rules
# Every shape op is linear: jvp applies the op to the tangent; transpose undoes it.
# See fnx/_core/ad.py and docs/autodiff.md.

def _undef(x):
    return _ad.is_undefined(x)


def _broadcast_in_dim_transpose(ct, x, *, shape, broadcast_dimensions):
    xs = x.aval.shape
    kept = {d for i, d in enumerate(broadcast_dimensions) if xs[i] == shape[d]}
    axes = tuple(d for d in range(len(shape)) if d not in kept)
    summed = _lax.reduce_sum(ct, axes) if axes else ct
    return [_lax.reshape(summed, xs)]


def _transpose_transpose(ct, x, *, permutation):
    inverse = [0] * len(permutation)
    for i, p in enumerate(permutation):
        inverse[p] = i
    return [_lax.transpose(ct, inverse)]


def _reshape_back(ct, x, **params):
    return [_lax.reshape(ct, x.aval.shape)]


def _concatenate_transpose(ct, *xs, dimension):
    out, offset = [], 0
    full = _ad.aval_of(ct).shape
    for x in xs:
        n = _ad.aval_of(x).shape[dimension]
        if _undef(x):
            start = [0] * len(full)
            limit = list(full)
            start[dimension], limit[dimension] = offset, offset + n
            out.append(_lax.slice(ct, start, limit))
        else:
            out.append(None)
        offset += n
    return out


def _pad_transpose(ct, x, value, *, padding_config):
    """The operand's cotangent un-pads (negative padding restores cropped zeros, a strided
    slice skips interior padding); the padding value gets the sum of the rest."""
    def operand_ct():
        dtype = _ad.aval_of(ct).dtype
        unpad = tuple((-lo, -hi, 0) for lo, hi, _ in padding_config)
        unpadded = _lax.pad(ct, _fnx_ir.literal(0, dtype), unpad)
        shape = _ad.aval_of(unpadded).shape
        return _lax.slice(unpadded, (0,) * len(shape), shape,
                          tuple(interior + 1 for _, _, interior in padding_config))
    t_x = operand_ct() if _undef(x) else None
    t_v = None
    if _undef(value):
        everything = lambda a: _lax.reduce_sum(a, tuple(range(_ad.aval_of(a).ndim)))
        inner = t_x if t_x is not None else operand_ct()
        t_v = _lax.sub(everything(ct), everything(inner))
    return [t_x, t_v]


_JVP = {name: _ad.linear_jvp(name) for name in (
    "broadcast_in_dim", "reshape", "transpose", "squeeze", "expand_dims", "rev",
    "concatenate", "pad")}
_JVP["iota"] = _ad.zero_jvp("iota")
_TRANSPOSE = {
    "broadcast_in_dim": _broadcast_in_dim_transpose,
    "reshape": _reshape_back,
    "transpose": _transpose_transpose,
    "squeeze": _reshape_back,
    "expand_dims": _reshape_back,
    "rev": lambda ct, x, *, dimensions: [_lax.rev(ct, dimensions)],
    "concatenate": _concatenate_transpose,
    "pad": _pad_transpose,
}


define("iota", impl=_iota, batch=_iota_batch, jvp=_JVP["iota"])
define("broadcast_in_dim", impl=_broadcast_in_dim, batch=_broadcast_in_dim_batch,
       jvp=_JVP["broadcast_in_dim"], transpose=_TRANSPOSE["broadcast_in_dim"])
define("reshape", impl=lambda x, *, new_sizes: np.reshape(x, new_sizes),
       batch=_reshape_batch, jvp=_JVP["reshape"], transpose=_TRANSPOSE["reshape"])
define("transpose", impl=lambda x, *, permutation: np.transpose(x, permutation),
       batch=_transpose_batch, jvp=_JVP["transpose"],
       transpose=_TRANSPOSE["transpose"])
define("squeeze", impl=lambda x, *, dimensions: np.squeeze(x, axis=dimensions),
       batch=_squeeze_batch, jvp=_JVP["squeeze"], transpose=_TRANSPOSE["squeeze"])
define("expand_dims", impl=lambda x, *, dimensions: np.expand_dims(x, dimensions),
       batch=_expand_dims_batch, jvp=_JVP["expand_dims"],
       transpose=_TRANSPOSE["expand_dims"])
define("rev", impl=lambda x, *, dimensions: np.flip(x, dimensions), batch=_rev_batch,
       jvp=_JVP["rev"], transpose=_TRANSPOSE["rev"])
define("concatenate", impl=lambda *xs, dimension: np.concatenate(xs, axis=dimension),
       batch=_concatenate_batch, jvp=_JVP["concatenate"],
       transpose=_TRANSPOSE["concatenate"])
define("pad", impl=_pad, batch=_pad_batch, jvp=_JVP["pad"], transpose=_TRANSPOSE["pad"])
