"""TF1's switches between TensorFlow 1 and 2 behaviour. ``import tensorflow.compat.v1 as tf;
tf.disable_v2_behavior()`` becomes ``import minitf as tf`` with the rest unchanged: minitf is
always TF1's graph mode, so turning TF2 behaviour off does nothing more than turn resource
variables off (as TF's disable_v2_behavior does). Turning on a TF2 behaviour
that would change results (eager execution, ``==`` on tensors, int dimensions) is refused;
turning on control flow v2, which only changes which ops a graph uses, logs that minitf keeps
TF1's ops, whose results are the same. ``enable_resource_variables`` makes new variables
resource variables (core/resource_variable.py: TF's read semantics over minitf's storage)
until ``disable_resource_variables``."""

from __future__ import annotations

from . import tf_logging as logging
from .errors import UnimplementedError


def _refuse(what: str):
    raise UnimplementedError(None, None, f"minitf runs TensorFlow 1.x graph mode only: {what} "
                             "is a TensorFlow 2 behaviour it does not have")


def _keep_tf1(what: str, ops: str):
    logging.warning("minitf keeps %s (%s); results are the same as with TensorFlow 2's",
                    what, ops)


def disable_v2_behavior():
    disable_resource_variables()  # as TF's: the rest of TF 2's behaviour is never on here


def enable_v2_behavior():
    _refuse("enable_v2_behavior")


def disable_eager_execution():
    pass


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    _refuse("eager execution")


def executing_eagerly() -> bool:
    return False


executing_eagerly_outside_functions = executing_eagerly


# TF's _DEFAULT_USE_RESOURCE after disable_v2_behavior: what tf.Variable and get_variable make
# when neither the call nor the variable scope says (use_resource=None).
_use_resource = False


def disable_resource_variables():
    global _use_resource
    _use_resource = False


def enable_resource_variables():
    """New variables are resource variables: each read is a copy made where it is asked for
    (after the control dependencies around it), as TF's ReadVariableOp. Their graphs keep
    minitf's VariableV2 storage, read through Copy ops (core/resource_variable.py)."""
    global _use_resource
    _use_resource = True


def resource_variables_enabled() -> bool:
    return _use_resource


def disable_control_flow_v2():
    pass


def enable_control_flow_v2():
    _keep_tf1("TF1's control flow", "Switch, Merge, Enter, Exit, NextIteration")


def control_flow_v2_enabled() -> bool:
    return False


def disable_tensor_equality():
    pass


def enable_tensor_equality():
    _refuse("element-wise == on tensors (enable_tensor_equality)")


def disable_v2_tensorshape():
    pass


def enable_v2_tensorshape():
    _refuse("int dimensions in TensorShape (enable_v2_tensorshape)")


__all__ = [n for n in dir() if n.startswith(("enable_", "disable_", "executing_")) or
           n.endswith("_enabled")]
