"""Error types and the user's source location for messages from traced code."""
from __future__ import annotations

import os
import sys

import fnx_ir

# Frames from these directories are fnx's own (or the standard library's), not the user's.
_SKIP = tuple(os.path.dirname(os.path.abspath(p)) + os.sep for p in (
    os.path.dirname(os.path.abspath(__file__)),  # fnx/
    fnx_ir.__file__, os.__file__))


def user_frame():
    """The innermost stack frame outside fnx, fnx_ir and the standard library."""
    frame = sys._getframe(1)
    while frame is not None:
        if not frame.f_code.co_filename.startswith(_SKIP):
            return frame
        frame = frame.f_back
    return None


def user_source() -> str | None:
    """`file:line` of the user's code that is running now (None if there is none)."""
    frame = user_frame()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else None


def at_source(message: str, source: str | None) -> str:
    return f"{message}\n  (from {source})" if source else message


class FnxTypeError(TypeError):
    """Operands that do not fit an operation: names the primitive, types and user line."""


class ConcretizationError(TypeError):
    """A traced value was used where a concrete Python value is needed."""


class TracerLeakError(RuntimeError):
    """A traced value escaped the function that was being transformed."""


class UnboundAxisError(NameError):
    """A collective over an axis name that no enclosing named `vmap` binds, or evaluated
    where no vmap batches it (as an eager value)."""
