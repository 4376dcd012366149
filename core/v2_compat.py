"""TF1's switches between TensorFlow 1 and 2 behaviour. ``import tensorflow.compat.v1 as tf;
tf.disable_v2_behavior()`` becomes ``import minitf as tf`` with the rest unchanged: minitf is
always TF1's graph mode, so turning TF2 behaviour off does nothing. Turning on a TF2 behaviour
that would change results (eager execution, ``==`` on tensors, int dimensions) is refused;
turning on one that only changes which ops a graph uses (resource variables, control flow v2)
logs that minitf keeps TF1's ops, whose results are the same."""

from __future__ import annotations

from . import tf_logging as logging
from .errors import UnimplementedError


def _refuse(what: str):
    raise UnimplementedError(None, None, f"minitf runs TensorFlow 1.x graph mode only: {what} "
                             "is a TensorFlow 2 behaviour it does not have")


def _keep_tf1(what: str, ops: str, differs: str = ""):
    logging.warning("minitf keeps %s (%s); results are the same as with TensorFlow 2's%s",
                    what, ops, differs)


def disable_v2_behavior():
    pass


def enable_v2_behavior():
    _refuse("enable_v2_behavior")


def disable_eager_execution():
    pass


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    _refuse("eager execution")


def executing_eagerly() -> bool:
    return False


executing_eagerly_outside_functions = executing_eagerly


def disable_resource_variables():
    pass


def enable_resource_variables():
    _keep_tf1("reference variables", "VariableV2, Assign",
              ", except that a read shares the variable's buffer, so an assignment later in "
              "the same run shows through an earlier read (TF 2's resource reads copy)")


def resource_variables_enabled() -> bool:
    return False


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
