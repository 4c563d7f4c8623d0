"""Threefry-2x32 (20 rounds) and the raw key operations: key, split, fold_in, bits.

The block cipher is Threefry-2x32 of Salmon, Moraes, Dror & Shaw, "Parallel random
numbers: as easy as 1, 2, 3" (SC 2011), as in Random123 and as `jax.random` uses it.
It maps a key (k0, k1) and a counter block (x0, x1) of uint32 words to two uint32
words, using only wrapping add, rotate-left (shift_left | shift_right_logical) and
xor, so it is expressed with ordinary `fnx.lax` primitives: it runs eagerly on
numpy, traces into a Program, and lowers on every backend with no special support.

Streams follow `jax.random` with `jax_threefry_partitionable=True` (JAX's default):
the element at flat (row-major) index i of an output of any shape is derived from
the counter block (hi32(i), lo32(i)), so it does not depend on the output's shape.
"""
from __future__ import annotations

import math
import operator

import numpy as np

import fnx_ir
from fnx_ir import uint32

from .. import lax
from .._core.array import as_array
from .._core.trace import type_of
from ._compiled import compiled
from ._util import canon_shape, check_key, full, is_traced

ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
PARITY = 0x1BD11BDA  # Threefry's key-schedule constant C240
_MASK = 0xFFFFFFFF


def _scalar_u32(value):
    return np.asarray(value & _MASK, dtype=np.uint32)


def threefry2x32(k0, k1, x0, x1):
    """The Threefry-2x32 block function (20 rounds) on words.

    `k0`, `k1`: uint32 scalars (shape ()), the key. `x0`, `x1`: uint32 arrays of
    one shape, the counter blocks. Returns `(y0, y1)` of that shape: five groups of
    four rounds (add, rotate, xor), each group followed by a key injection.
    """
    shape = type_of(x0).shape
    consts: dict[int, object] = {}

    def c(v):  # one broadcast constant per distinct value
        if v not in consts:
            consts[v] = full(shape, v, uint32)
        return consts[v]

    ks = [k0, k1, lax.bitwise_xor(lax.bitwise_xor(k0, k1), _scalar_u32(PARITY))]
    x0 = lax.add(x0, lax.broadcast_in_dim(ks[0], shape, ()))
    x1 = lax.add(x1, lax.broadcast_in_dim(ks[1], shape, ()))
    for s in range(1, 6):
        for r in ROTATIONS[(s - 1) % 2]:
            x0 = lax.add(x0, x1)
            x1 = lax.bitwise_or(lax.shift_left(x1, c(r)), lax.shift_right_logical(x1, c(32 - r)))
            x1 = lax.bitwise_xor(x0, x1)
        # key injection s: x0 += ks[s % 3]; x1 += ks[(s + 1) % 3] + s
        b = lax.add(ks[(s + 1) % 3], _scalar_u32(s))
        x0 = lax.add(x0, lax.broadcast_in_dim(ks[s % 3], shape, ()))
        x1 = lax.add(x1, lax.broadcast_in_dim(b, shape, ()))
    return x0, x1


def key_words(key):
    """The two uint32 words of a raw key, as scalars."""
    k0 = lax.reshape(lax.slice(key, (0,), (1,)), ())
    k1 = lax.reshape(lax.slice(key, (1,), (2,)), ())
    return k0, k1


def _stack_last(a, b):
    nd = type_of(a).ndim
    return lax.concatenate([lax.expand_dims(a, (nd,)), lax.expand_dims(b, (nd,))], nd)


def threefry_2x32(keypair, count):
    """JAX's `threefry_2x32(keypair, count)`: hash a uint32 array of counters.

    The flattened `count` (padded with a zero to even length) is split in halves
    `x0 | x1`, hashed as blocks `(x0[i], x1[i])`, and the outputs `y0 | y1` are
    concatenated back into `count`'s shape. This is the form of the Random123
    known-answer tests: `threefry_2x32(key, [c0, c1]) == [y0, y1]`.
    """
    keypair = check_key("threefry_2x32", keypair)
    if not is_traced(count) and not isinstance(count, np.ndarray):
        count = np.asarray(count, dtype=np.uint32)
    t = type_of(count)
    if t.dtype is not uint32:
        raise TypeError(f"fnx.random.threefry_2x32: count must be uint32, got {t}")
    n = t.size
    flat = lax.reshape(count, (n,))
    if n % 2:
        flat = lax.concatenate([flat, full((1,), 0, uint32)], 0)
    half = (n + 1) // 2
    x0 = lax.slice(flat, (0,), (half,))
    x1 = lax.slice(flat, (half,), (2 * half,))
    k0, k1 = key_words(keypair)
    y0, y1 = threefry2x32(k0, k1, x0, x1)
    out = lax.concatenate([y0, y1], 0)
    if n % 2:
        out = lax.slice(out, (0,), (n,))
    return lax.reshape(out, t.shape)


# --------------------------------------------------------------------------- keys

def _seed_words(seed):
    """(hi, lo) uint32 words of an integer seed, as JAX's `threefry_seed`."""
    if is_traced(seed):
        t = type_of(seed)
        if t.shape != ():
            raise TypeError(f"fnx.random.key: the seed must be a scalar, got {t}; "
                            "use fnx.vmap to make a batch of keys")
        if not t.dtype.is_integer:
            raise TypeError(f"fnx.random.key: the seed must be an integer, got {t}")
        if t.dtype.itemsize == 8:
            hi = lax.convert_element_type(
                lax.shift_right_logical(seed, full((), 32, t.dtype)), uint32)
            lo = lax.convert_element_type(
                lax.bitwise_and(seed, full((), _MASK, t.dtype)), uint32)
        else:
            lo = seed if t.dtype is uint32 else lax.bitcast_convert_type(seed, uint32)
            hi = full((), 0, uint32)
        return hi, lo
    if isinstance(seed, (bool, np.bool_)) or isinstance(seed, float) or (
            isinstance(seed, (np.ndarray, np.generic)) and seed.dtype.kind not in "iu"):
        raise TypeError(f"fnx.random.key: the seed must be an integer, got {seed!r}")
    if np.ndim(seed):
        raise TypeError(f"fnx.random.key: the seed must be a scalar, got an array of shape "
                        f"{np.shape(seed)}; use fnx.vmap to make a batch of keys")
    width = np.asarray(seed).dtype.itemsize if isinstance(seed, (np.ndarray, np.generic)) else 8
    value = operator.index(seed.item() if isinstance(seed, (np.ndarray, np.generic)) else seed)
    if width == 8 and not -2**63 <= value < 2**63 and not (
            isinstance(seed, (np.ndarray, np.generic)) and seed.dtype.kind == "u"):
        raise OverflowError(f"fnx.random.key: seed {value} does not fit in int64")
    hi = (value >> 32) & _MASK if width == 8 else 0
    return np.uint32(hi), np.uint32(value & _MASK)


def key(seed):
    """A PRNG key from an integer seed: a uint32[2] array (JAX's raw key layout).

    A 64-bit seed (a Python int, or int64) gives `[seed >> 32, seed & 0xffffffff]`;
    a 32-bit seed gives `[0, seed]`. (JAX's default 32-bit mode truncates a Python
    int seed to 32 bits first; see docs/random.md.)
    """
    hi, lo = _seed_words(seed)
    if not is_traced(hi) and not is_traced(lo):
        return as_array(np.array([hi, lo], dtype=np.uint32))
    return lax.concatenate([lax.reshape(lax.convert_element_type(w, uint32), (1,))
                            if not is_traced(w) else lax.reshape(w, (1,))
                            for w in (hi, lo)], 0)


PRNGKey = key


def key_data(keys):
    """The uint32 words of keys: raw keys are their own data (identity)."""
    return keys


def wrap_key_data(key_bits_array):
    """Raw keys need no wrapping (identity; checks the dtype)."""
    t = type_of(key_bits_array)
    if t.dtype is not uint32 or t.shape[-1:] != (2,):
        raise TypeError(f"fnx.random.wrap_key_data: expected uint32[..., 2], got {t}")
    return key_bits_array


def clone(key):
    """Keys are immutable arrays here: identity (as `jax.random.clone` for raw keys)."""
    return key


def _counters(name: str, shape: tuple[int, ...]):
    """(hi, lo) uint32 counter words of the flat row-major index of each element."""
    n = math.prod(shape)
    if n > 2**32:
        raise NotImplementedError(f"fnx.random.{name}: more than 2**32 values in one call "
                                  f"(shape {shape}); split the key and draw in parts")
    lo = lax.reshape(lax.iota(uint32, (n,), 0), shape)
    return full(shape, 0, uint32), lo


def hash_counters(name: str, key, shape: tuple[int, ...]):
    """The two Threefry output words for every element of `shape` (partitionable layout)."""
    k0, k1 = key_words(key)
    hi, lo = _counters(name, shape)
    return threefry2x32(k0, k1, hi, lo)


@compiled()
def split(key, num=2):
    """Split a key into `num` new keys (an int, or a tuple: the shape of the key array).

    Returns uint32[*num, 2]. New key i is the Threefry hash of counter i.
    """
    key = check_key("split", key)
    shape = canon_shape("split", num)
    y0, y1 = hash_counters("split", key, shape)
    return _stack_last(y0, y1)


@compiled("data")
def fold_in(key, data):
    """A new key that is a deterministic function of `key` and the 32-bit integer `data`.

    `data` is taken modulo 2**32. The new key is `threefry2x32(key, (0, data))`.
    """
    key = check_key("fold_in", key)
    if is_traced(data):
        t = type_of(data)
        if t.shape != ():
            raise TypeError(f"fnx.random.fold_in: data must be a scalar, got {t}; "
                            "use fnx.vmap for batching")
        if not t.dtype.is_integer:
            raise TypeError(f"fnx.random.fold_in: data must be an integer, got {t}")
        if t.dtype is uint32:
            d = data
        elif t.dtype.itemsize == 4:
            d = lax.bitcast_convert_type(data, uint32)
        else:
            d = lax.convert_element_type(lax.bitwise_and(data, full((), _MASK, t.dtype)), uint32)
    else:
        if np.ndim(data):
            raise TypeError(f"fnx.random.fold_in: data must be a scalar, got an array of shape "
                            f"{np.shape(data)}; use fnx.vmap for batching")
        arr = np.asarray(data)
        if arr.dtype.kind not in "iub":
            raise TypeError(f"fnx.random.fold_in: data must be an integer, got {data!r}")
        d = _scalar_u32(int(arr))
    k0, k1 = key_words(key)
    y0, y1 = threefry2x32(k0, k1, full((), 0, uint32), d)
    return _stack_last(y0, y1)


@compiled()
def bits(key, shape=(), dtype=uint32):
    """Uniform random bits as unsigned integers of `shape` (uint32: fnx has no other
    unsigned dtype). Element i is `y0 ^ y1` of the Threefry hash of counter i."""
    key = check_key("bits", key)
    shape = canon_shape("bits", shape)
    d = fnx_ir.dtype(dtype)
    if d is not uint32:
        raise ValueError(f"fnx.random.bits: dtype must be an unsigned integer dtype; fnx "
                         f"supports uint32, got {d}")
    y0, y1 = hash_counters("bits", key, shape)
    return lax.bitwise_xor(y0, y1)


def bits_pair(name: str, key, shape):
    """The two 32-bit words JAX combines into 64 random bits: `(hi, lo)`."""
    return hash_counters(name, key, shape)
