"""autodiff: a scalar reverse-mode automatic differentiation engine.

    >>> from autodiff import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad
    7.0

The pieces: `Value` (a graph node, in `value`), the op table (`ops`), the
traversal (`graph`), the chain rule (`backprop`), forward mode (`forward`,
`jvp`), the recording modes (`modes`), numerical checks (`checks`),
argument checks (`arguments`), compiled steps (`compiler`: `compile`) and Hypothesis
strategies (`testing`, imported on its own so that Hypothesis stays
optional).
"""

from .backprop import grad, local_grads
from .checks import GradcheckError, gradcheck, numerical_grad, numerical_grad_of
from .compiler import CompileError, compile
from .forward import JVP, jvp, op_count
from .graph import topological_order
from .modes import AnomalyError, detect_anomaly, is_grad_enabled, no_grad
from .ops import OPS
from .value import Value, cos, dot, exp, log, relu, sigmoid, sin, sqrt, sum, tanh

__version__ = "0.1.0"

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
    "AnomalyError",
    "numerical_grad",
    "numerical_grad_of",
    "gradcheck",
    "GradcheckError",
    "topological_order",
    "OPS",
    "sum",
    "dot",
    "exp",
    "log",
    "tanh",
    "sigmoid",
    "relu",
    "sin",
    "cos",
    "sqrt",
    "compile",
    "CompileError",
]
