"""Threefry-2x32 and the key operations of `fnx.random`.

Known-answer tests (Random123), an independent pure-Python reference, values
recorded from `jax.random` (so these run without JAX), the same bits eagerly /
traced / under jit / under vmap, and (when JAX is installed) a direct comparison
with `jax.random`.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import fnx
import fnx.random as fr
from fnx.backends.base import available_backends
from fnx.backends.interpreter import evaluate

M32 = 0xFFFFFFFF


# ----------------------------------------------------------------- reference

def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & M32


def threefry2x32_ref(key, ctr, rounds=20):
    """Random123's threefry2x32_R, written from the paper / threefry.h."""
    rot = (13, 15, 26, 6, 17, 29, 16, 24)
    ks = (key[0], key[1], key[0] ^ key[1] ^ 0x1BD11BDA)
    x0, x1 = (ctr[0] + ks[0]) & M32, (ctr[1] + ks[1]) & M32
    for r in range(rounds):
        x0 = (x0 + x1) & M32
        x1 = _rotl(x1, rot[r % 8]) ^ x0
        if r % 4 == 3:
            s = r // 4 + 1
            x0 = (x0 + ks[s % 3]) & M32
            x1 = (x1 + ks[(s + 1) % 3] + s) & M32
    return x0, x1


# Random123 kat_vectors, threefry2x32 with 20 rounds: (key, counter, expected)
KAT = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


@pytest.mark.parametrize("key,ctr,expected", KAT)
def test_known_answers(key, ctr, expected):
    out = fr.threefry_2x32(np.array(key, np.uint32), np.array(ctr, np.uint32))
    assert out.dtype == np.uint32
    assert tuple(int(v) for v in out) == expected
    assert threefry2x32_ref(key, ctr) == expected  # the reference itself is right


@pytest.mark.parametrize("key,ctr,expected", KAT)
def test_known_answers_word_form_traced(key, ctr, expected):
    def f(k, x0, x1):
        k0, k1 = fr._threefry.key_words(k)
        return fr.threefry2x32(k0, k1, x0, x1)
    args = [np.array(key, np.uint32), np.array([ctr[0]], np.uint32), np.array([ctr[1]], np.uint32)]
    prog = fnx.make_ir(f)(*args)
    y0, y1 = evaluate(prog, args)
    assert (int(y0[0]), int(y1[0])) == expected


u32 = st.integers(0, M32)


@given(st.tuples(u32, u32), st.lists(st.tuples(u32, u32), min_size=1, max_size=5))
def test_against_reference(key, ctrs):
    k0, k1 = fr._threefry.key_words(np.array(key, np.uint32))
    x0 = np.array([c[0] for c in ctrs], np.uint32)
    x1 = np.array([c[1] for c in ctrs], np.uint32)
    y0, y1 = fr.threefry2x32(k0, k1, x0, x1)
    for i, c in enumerate(ctrs):
        assert (int(y0[i]), int(y1[i])) == threefry2x32_ref(key, c)


@given(st.tuples(u32, u32), st.integers(1, 9))
def test_threefry_2x32_flat_form(key, n):
    """Odd lengths pad with one zero counter; halves are hashed as (x0[i], x1[i])."""
    count = np.arange(100, 100 + n, dtype=np.uint32)
    out = fr.threefry_2x32(np.array(key, np.uint32), count)
    padded = list(count) + [0] * (n % 2)
    half = len(padded) // 2
    want = []
    ys = [threefry2x32_ref(key, (int(padded[i]), int(padded[half + i]))) for i in range(half)]
    want = [y[0] for y in ys] + [y[1] for y in ys]
    assert [int(v) for v in out] == want[:n]


# ----------------------------------------------------------------- keys and streams
# Values recorded from jax 0.10 (`jax.random`, default config) so they hold without JAX.

def test_key_from_seed():
    for seed in (0, 1, 42, 2**31 - 1):
        k = fr.key(seed)
        assert k.dtype == np.uint32 and k.shape == (2,)
        assert k.tolist() == [0, seed]
    assert fr.PRNGKey(7).tolist() == [0, 7]
    # 64-bit seeds: [seed >> 32, seed & 0xffffffff] (as JAX with x64 enabled)
    assert fr.key(2**32 + 5).tolist() == [1, 5]
    assert fr.key(-1).tolist() == [M32, M32]
    assert fr.key(np.int32(-1)).tolist() == [0, M32]
    assert fr.key(np.uint32(M32)).tolist() == [0, M32]


def test_key_rejects_bad_seeds():
    with pytest.raises(TypeError):
        fr.key(1.5)
    with pytest.raises(TypeError):
        fr.key(np.arange(3))
    with pytest.raises(OverflowError):
        fr.key(2**64)


def test_split_fold_in_bits_recorded_values():
    k = fr.key(0)
    assert fr.split(k).tolist() == [[1797259609, 2579123966], [928981903, 3453687069]]
    assert fr.fold_in(k, 7).tolist() == [2716826189, 292468403]
    assert fr.bits(k, (3,)).tolist() == [4070199207, 4202968722, 1427181096]
    u = fr.uniform(fr.key(0), (3,))
    assert u.dtype == np.float32
    assert u.tolist() == [0.9476670026779175, 0.9785798788070679, 0.33229148387908936]


def test_split_shapes_and_distinctness():
    k = fr.key(123)
    ks = fr.split(k, (3, 4))
    assert ks.shape == (3, 4, 2) and ks.dtype == np.uint32
    # the stream of a split does not depend on the shape asked for
    np.testing.assert_array_equal(ks.reshape(12, 2), fr.split(k, 12))
    rows = {tuple(r) for r in ks.reshape(-1, 2).tolist()}
    assert len(rows) == 12 and tuple(k.tolist()) not in rows
    assert fr.split(k, 0).shape == (0, 2)


def test_bits_layout_is_shape_independent():
    k = fr.key(5)
    flat = fr.bits(k, (24,))
    np.testing.assert_array_equal(fr.bits(k, (2, 3, 4)), flat.reshape(2, 3, 4))
    # element i is y0 ^ y1 of the hash of counter (0, i)
    k0, k1 = (int(v) for v in k)
    for i in (0, 1, 23):
        y0, y1 = threefry2x32_ref((k0, k1), (0, i))
        assert int(flat[i]) == y0 ^ y1
    assert fr.bits(k).shape == () and fr.bits(k, (0, 3)).shape == (0, 3)


def test_fold_in_data():
    k = fr.key(9)
    with pytest.raises(OverflowError):  # as JAX: a Python int beyond 32 bits (x64 off)
        fr.fold_in(k, 2**32 + 3)
    np.testing.assert_array_equal(fr.fold_in(k, np.int64(5)), fr.fold_in(k, 5))
    assert len({tuple(fr.fold_in(k, i).tolist()) for i in range(20)}) == 20


def test_key_errors_point_to_vmap():
    keys = fr.split(fr.key(0), 3)
    with pytest.raises(TypeError, match="vmap"):
        fr.uniform(keys, (2,))
    with pytest.raises(TypeError, match="key"):
        fr.split(np.float32(1.0))
    with pytest.raises(ValueError, match="uint32"):
        fr.bits(fr.key(0), (2,), dtype=np.int32)


# ----------------------------------------------------------------- transforms

KEY_FNS = {
    "split": lambda k: fr.split(k, 3),
    "fold_in": lambda k: fr.fold_in(k, 17),
    "bits": lambda k: fr.bits(k, (4, 5)),
    "uniform": lambda k: fr.uniform(k, (7,)),
    "uniform64": lambda k: fr.uniform(k, (7,), dtype=np.float64, minval=-1.0, maxval=3.0),
}


@pytest.mark.parametrize("name", sorted(KEY_FNS))
def test_same_bits_eager_traced_and_jit(name):
    f = KEY_FNS[name]
    k = fr.key(2024)
    eager = f(k)
    prog = fnx.make_ir(f)(k)
    (traced,) = evaluate(prog, [k])
    assert traced.dtype == eager.dtype
    np.testing.assert_array_equal(traced, eager)
    for backend in available_backends():
        out = fnx.jit(f, backend=backend)(k)
        np.testing.assert_array_equal(out, eager, err_msg=f"backend {backend}")


@pytest.mark.x64  # a 64-bit seed
def test_traced_seed_and_fold_in_data():
    def f(seed, data):
        return fr.fold_in(fr.key(seed), data)
    args = (np.int64(-12345678901), np.int32(-3))
    prog = fnx.make_ir(f)(*args)
    (out,) = evaluate(prog, [np.asarray(a) for a in args])
    np.testing.assert_array_equal(out, f(*args))
    np.testing.assert_array_equal(fnx.jit(f)(*args), f(*args))


def test_vmap_over_keys_gives_each_keys_stream():
    keys = fr.split(fr.key(0), 5)
    for f in KEY_FNS.values():
        got = fnx.vmap(f)(keys)
        want = np.stack([f(k) for k in keys])
        np.testing.assert_array_equal(got, want)
    seeds = np.arange(4)
    np.testing.assert_array_equal(fnx.vmap(fr.key)(seeds), np.stack([fr.key(int(s)) for s in seeds]))
    data = np.arange(6, dtype=np.int32)
    got = fnx.vmap(lambda d: fr.fold_in(fr.key(1), d))(data)
    np.testing.assert_array_equal(got, np.stack([fr.fold_in(fr.key(1), int(d)) for d in data]))


# ----------------------------------------------------------------- JAX oracle

def test_matches_jax_bits():
    jax = pytest.importorskip("jax")
    with jax.enable_x64(False):  # JAX's default mode, whatever other tests set globally
        _check_against_jax(jax)


def _check_against_jax(jax):
    from jax._src.random import threefry2x32 as jtf
    for key, ctr, expected in KAT:
        got = jtf.threefry_2x32(np.array(key, np.uint32), np.array(ctr, np.uint32))
        assert tuple(int(v) for v in got) == expected

    def streams(r, k, seed):
        return [r.split(k), r.split(k, (2, 3)), r.fold_in(k, seed + 1), r.bits(k, (5, 7)),
                r.uniform(k, (1000,)), r.uniform(k, (3, 3))]

    jstreams = jax.jit(streams, static_argnums=(0,))
    fstreams = fnx.jit(streams, static_argnums=(0,))  # (`seed + 1` wraps in int32 in both)
    for seed in (0, 1, 42, 2**31 - 1, 987654321):
        k, jk = fr.key(seed), jax.random.PRNGKey(seed)
        np.testing.assert_array_equal(k, jk)
        for got, want in zip(fstreams(fr, k, seed), jstreams(jax.random, jk, seed)):
            np.testing.assert_array_equal(got, np.asarray(want))


