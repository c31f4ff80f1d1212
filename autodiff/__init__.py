"""autodiff: a scalar reverse-mode automatic differentiation engine.

    >>> from autodiff import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad
    7.0

The pieces: `Value` and the functions on Values (in `value`), the op table
(`ops`), the traversal (`graph`), the chain rule (`backprop`), forward mode
(`forward`: `jvp`), the recording modes and `gc_paused` (`modes`), numerical checks
(`checks`), the shared argument checks (`arguments`), compiled steps
(`compiler`: `compile`), your own ops (`primitives`: `primitive`) and a
property-test kit (`testing`, imported on its own so that Hypothesis stays
optional).

The one-input functions (`exp`, `tanh`, ...) are the op table's entries
marked as functions, `ops.UNARY_FUNCTIONS`.
"""

import pkgutil as _pkgutil

from . import primitives as _primitives
from .backprop import local_grads
from .checks import GradcheckError, gradcheck, numerical_grad, numerical_grad_of
from .compiler import CompileError, compile
from .forward import JVP, jvp, op_count
from .graph import topological_order
from .modes import AnomalyError, detect_anomaly, gc_paused, is_grad_enabled, no_grad
from .ops import OPS, UNARY_FUNCTIONS
from .primitives import primitive
from .value import Value, affine, dot, grad, sum

# The table's functions (`UNARY_FUNCTIONS`), re-exported one by one so that
# type checkers see them; a test checks that none is missing.
from .value import abs as abs  # noqa: A004
from .value import acos as acos
from .value import asin as asin
from .value import atan as atan
from .value import cos as cos
from .value import elu as elu
from .value import exp as exp
from .value import expm1 as expm1
from .value import gelu as gelu
from .value import leaky_relu as leaky_relu
from .value import log as log
from .value import log1p as log1p
from .value import relu as relu
from .value import sigmoid as sigmoid
from .value import silu as silu
from .value import sin as sin
from .value import softplus as softplus
from .value import sqrt as sqrt
from .value import tanh as tanh

__version__ = "0.1.0"


def __getattr__(name: str):
    # ``autodiff.<name>`` for a user primitive (`primitive`), defined after import
    function = _primitives.FUNCTIONS.get(name)
    if function is None:
        raise AttributeError(f"module 'autodiff' has no attribute {name!r}")
    return function

__all__ = [
    "Value",
    "grad",
    "jvp",
    "JVP",
    "op_count",
    "local_grads",
    "no_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "gc_paused",
    "AnomalyError",
    "numerical_grad",
    "numerical_grad_of",
    "gradcheck",
    "GradcheckError",
    "topological_order",
    "OPS",
    "sum",
    "dot",
    "affine",
    *UNARY_FUNCTIONS,
    "compile",
    "CompileError",
    "primitive",
]

# A user primitive may not take a name the package already gives.
_primitives._RESERVED.update(name for name in globals() if not name.startswith("_"))
_primitives._RESERVED.update(module.name for module in _pkgutil.iter_modules(__path__))
