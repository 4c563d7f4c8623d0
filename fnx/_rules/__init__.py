"""Per-family primitive rules: numpy implementation, jvp, transpose and batching, side by side.

Importing this package registers every family's rules (see `fnx/_core/rules.py`) and then
refuses a primitive of the table that has none.
"""
from . import elementwise, shape, reductions, linalg, indexing  # noqa: F401  (registration)
from . import custom  # noqa: F401,E402  (custom_jvp/custom_vjp/checkpoint primitives)
from . import control_flow  # noqa: F401,E402  (cond, while, scan)
from . import call  # noqa: F401,E402  (jit: a nested fnx.jit)
from . import collectives  # noqa: F401,E402  (psum, pmax, pmin, all_gather, axis_index)

from .._core.rules import check_complete  # noqa: E402

check_complete()
