"""Abstract values: what the IR knows about an array (shape, dtype, weak typing)."""
from __future__ import annotations

import math
from typing import NamedTuple

from .dtypes import DType


class ShapedType(NamedTuple):
    """The type of an IR value: a static shape and an element dtype.

    `weak` marks values that come from Python scalars only; they promote by kind
    (NEP 50), so `float32_array * 2.0` stays float32.
    """

    shape: tuple[int, ...]
    dtype: DType
    weak: bool = False

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def strong(self) -> "ShapedType":
        return ShapedType(self.shape, self.dtype, False) if self.weak else self

    def with_shape(self, shape) -> "ShapedType":
        return ShapedType(tuple(shape), self.dtype, self.weak)

    def __str__(self) -> str:
        dims = ",".join(str(d) for d in self.shape)
        return f"{self.dtype.short}[{dims}]" + ("~" if self.weak else "")


def shaped(shape, dtype: DType, weak: bool = False) -> ShapedType:
    return ShapedType(tuple(int(d) for d in shape), dtype, weak)
