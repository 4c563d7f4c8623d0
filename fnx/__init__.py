"""fnx: composable function transformations for numeric Python on the CPU.

`import fnx; import fnx.numpy as fnp` — names and semantics follow JAX.
"""
from . import _rules  # noqa: F401  (registers every primitive's rules)
from . import backends  # noqa: F401  (registers the backends)
from . import tree_util, tree, lax
from . import numpy  # noqa: F401
from . import nn, random, testing  # noqa: F401
from . import experimental  # noqa: F401
from ._core.config import config, enable_x64
from ._core.api import make_ir, jit
from ._core.vmap_api import vmap
from ._core.ad_api import (jvp, linearize, vjp, grad, value_and_grad, jacfwd, jacrev, hessian,
                           checkpoint, remat)
from ._core.custom_derivatives import custom_jvp, custom_vjp
from ._core.errors import FnxTypeError, ConcretizationError, TracerLeakError
from . import ad_checkpoint, custom_derivatives
from .ad_checkpoint import checkpoint_policies
from ._core.array import Array
from ._core.shape_api import ShapeDtypeStruct, eval_shape
from ._core.device_api import (devices, local_devices, device_count, local_device_count,
                               device_put, device_get, block_until_ready)

make_jaxpr = make_ir  # JAX's name: the traced program (an fnx_ir.Program, not a jaxpr)
jacobian = jacrev  # as jax.jacobian

__version__ = "0.1.0"
