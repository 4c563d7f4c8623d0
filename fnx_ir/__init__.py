"""fnx_ir: the typed SSA intermediate representation of fnx (numpy is its only dependency)."""
from .dtypes import (DType, bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
                     float16, bfloat16, float32, float64, ALL_DTYPES,
                     FLOAT_DTYPES, INT_DTYPES, dtype, result_type, python_scalar_dtype,
                     promote, canonical, to_inexact)
from .types import ShapedType, shaped
from .casting import cast
from .program import Var, Literal, Equation, Program, Builder, literal, print_program, subprograms
from .primitives import PRIMITIVES, Primitive, IRTypeError, get_primitive, register
from .text import parse, ParseError
from .verify import verify, VerifyError
from . import passes
