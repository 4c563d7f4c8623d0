"""JAX's device functions for fnx's one device, the host CPU: `fnx.devices()`,
`fnx.device_put`, `fnx.device_get`, `fnx.block_until_ready`, ..."""
from __future__ import annotations

from typing import Any

import numpy as np

import fnx_ir

from . import pytree
from .array import CPU, Array, Device, SingleDeviceSharding, as_array
from .dtypes import canonical_array, python_scalar_type
from .trace import Tracer, eager_value


def _check_backend(backend) -> None:
    if backend not in (None, "cpu"):
        raise RuntimeError(f"Unknown backend: {backend!r} requested; fnx has one platform: cpu")


def devices(backend: str | None = None) -> list[Device]:
    """`[CpuDevice(id=0)]`: the devices of `backend` (only `"cpu"` exists)."""
    _check_backend(backend)
    return [CPU]


def local_devices(process_index: int | None = None, backend: str | None = None,
                  host_id: int | None = None) -> list[Device]:
    """`[CpuDevice(id=0)]`: this process's devices."""
    _check_backend(backend)
    return [CPU]


def device_count(backend: str | None = None) -> int:
    """1."""
    _check_backend(backend)
    return 1


def local_device_count(backend: str | None = None) -> int:
    """1."""
    _check_backend(backend)
    return 1


def _check_device(device, what: str) -> None:
    if device is not None and not isinstance(device, (Device, SingleDeviceSharding)):
        raise ValueError(f"{what}: fnx has one device, CpuDevice(id=0); got {device!r}")


def device_put(x: Any, device: Any = None, *, src: Any = None, donate: bool = False,
               may_alias: bool | None = None) -> Any:
    """Every leaf of `x` as an `fnx.Array` on the CPU (JAX's `jax.device_put`): numpy arrays
    and scalars are copied, `fnx.Array`s are returned as they are (copied if
    `may_alias=False`), traced values pass through."""
    _check_device(device, "device_put")

    def put(leaf):
        if type(leaf) is Tracer:
            return leaf
        if type(leaf) is Array and may_alias is not False:
            return leaf
        if isinstance(leaf, (bool, int, float)) and not isinstance(leaf, np.generic):
            return eager_value(leaf, python_scalar_type(leaf))  # (weak, as JAX's)
        arr = canonical_array(np.array(leaf))  # a copy
        fnx_ir.dtype(arr.dtype)  # a clear TypeError for what fnx has no dtype for
        return as_array(arr)

    return pytree.tree_map(put, x)


def device_get(x: Any) -> Any:
    """Every array leaf of `x` as a read-only `numpy.ndarray` view (no copy); other leaves as
    they are (JAX's `jax.device_get`)."""
    def get(leaf):
        if type(leaf) is Tracer:
            return leaf.concrete("device_get of a traced value")
        if isinstance(leaf, np.ndarray):
            v = leaf.view(np.ndarray)
            v.flags.writeable = False
            return v
        return leaf

    return pytree.tree_map(get, x)


def block_until_ready(x: Any) -> Any:
    """`x`: eager results are ready when returned (JAX's `jax.block_until_ready`)."""
    return x


__all__ = ["devices", "local_devices", "device_count", "local_device_count", "device_put",
           "device_get", "block_until_ready"]
