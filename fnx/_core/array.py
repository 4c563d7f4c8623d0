"""`fnx.Array`: the type of every array fnx returns eagerly, and the CPU device it lives on.

`Array` is a thin `numpy.ndarray` subclass (no extra state: `__slots__ = ()`), so an eager
result is still a numpy array — zero-copy interop, every numpy function and method — and also
answers what a `jax.Array` answers: `.at[...]`, `.block_until_ready()`, `.device`,
`.devices()`, `.sharding`. `isinstance(x, fnx.Array)` also holds for traced values, as
`isinstance(tracer, jax.Array)` does in JAX. Only numpy imports here: backends allocate their
outputs as `Array` without importing the user-facing modules.
"""
from __future__ import annotations

import numpy as np


class Device:
    """The one device fnx computes on: the host CPU (JAX's `CpuDevice(id=0)`)."""

    __slots__ = ()
    id = 0
    platform = "cpu"
    device_kind = "cpu"
    process_index = 0
    host_id = 0

    def __repr__(self) -> str:
        return "CpuDevice(id=0)"

    def __str__(self) -> str:
        return "cpu:0"


CPU = Device()


class SingleDeviceSharding:
    """`x.sharding` of every array: all of it on the one CPU device."""

    __slots__ = ()
    device_set = frozenset({CPU})
    is_fully_replicated = True
    is_fully_addressable = True
    memory_kind = "device"

    def __eq__(self, other) -> bool:
        return isinstance(other, SingleDeviceSharding)

    def __hash__(self) -> int:
        return hash(SingleDeviceSharding)

    def __repr__(self) -> str:
        return "SingleDeviceSharding(device=CpuDevice(id=0), memory_kind=device)"


SHARDING = SingleDeviceSharding()

_Tracer = None  # fnx._core.trace.Tracer, set by trace.py (which imports this module)
_index_update_helper = None  # fnx.numpy's `x.at` helper, set by methods.install()
_astype = None  # fnx.numpy.astype, set by methods.install()


class _ArrayMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        # (not called for exact Array instances: Python checks `type(obj) is cls` first)
        return type(obj) is _Tracer or type.__instancecheck__(cls, obj)


class Array(np.ndarray, metaclass=_ArrayMeta):
    """An eager fnx array: a `numpy.ndarray` with JAX's array methods.

    fnx never writes into an `Array` it returned: `x.at[idx].set(v)` and every other
    operation make a new one. NumPy's subclass rules apply to numpy calls on it (ufuncs,
    methods and views give `Array`; `numpy.asarray(x)` gives a plain ndarray view).
    """

    __slots__ = ()

    @property
    def at(self):
        """JAX's functional index update: `x.at[idx].set(v)`, `.add`, `.multiply`, `.divide`,
        `.power`, `.min`, `.max`, `.apply`, `.get`; each returns a new array."""
        return _index_update_helper(self)

    def astype(self, dtype, copy: bool = False, device=None) -> "Array":
        """`fnx.numpy.astype(x, dtype)`: fnx's conversion (float -> int saturates, NaN -> 0;
        dtypes canonicalised by the x64 switch), not numpy's undefined one. Dtypes fnx does
        not compute with (object, str, complex, ...) get numpy's conversion."""
        if np.dtype(dtype).kind not in "biufV":
            return np.asarray(self).astype(dtype)
        return _astype(self, dtype)

    def block_until_ready(self) -> "Array":
        """Eager results are computed when returned: `x` itself."""
        return self

    @property
    def device(self) -> Device:
        """The CPU device."""
        return CPU

    def devices(self) -> set:
        """`{CpuDevice(id=0)}`."""
        return {CPU}

    @property
    def sharding(self) -> SingleDeviceSharding:
        """All of the array on the one CPU device."""
        return SHARDING


    @property
    def weak_type(self) -> bool:
        """Whether the value is weakly typed (computed from Python scalars only): no."""
        return False


class WeakArray(Array):
    """A weakly typed eager result, as JAX's arrays computed from Python scalars only
    (`fnp.sqrt(2.0)`): it promotes like a Python scalar, so `f32_array * fnp.sqrt(2.0)` stays
    float32. Conversions (`astype`) and numpy functions of it next to strong arrays are strong.
    """

    __slots__ = ()

    @property
    def weak_type(self) -> bool:
        """Whether the value is weakly typed: yes."""
        return True

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # numpy's operators and ufuncs: next to a strong array a 0-d weak value takes part as
        # a Python scalar (NEP 50 treats those weakly, as JAX does); among weak values only,
        # the result stays weak
        strong = any(type(i) not in (WeakArray, int, float) for i in inputs)
        args = [(i.item() if strong and i.ndim == 0 else i.view(np.ndarray))
                if type(i) is WeakArray else i for i in inputs]
        out = getattr(ufunc, method)(*args, **kwargs)
        if isinstance(out, (np.ndarray, np.generic)):
            return np.asarray(out).view(Array if strong else WeakArray)
        return out

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        arr = arr.view(Array)
        return arr[()] if return_scalar else arr

    def __repr__(self) -> str:
        return repr(self.view(Array))[:-1] + ", weak_type=True)"


_ndarray = np.ndarray


def as_array(v) -> Array:
    """`v` (an ndarray or anything `numpy.asarray` takes) as an `Array`, sharing its data."""
    if v.__class__ is Array or v.__class__ is WeakArray:
        return v
    if v.__class__ is not _ndarray:
        v = np.asarray(v)
    return v.view(Array)
