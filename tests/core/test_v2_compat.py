"""TF1's switches between TF1 and TF2 behaviour: turning TF2 behaviour off is a no-op (minitf is
TF1 graph mode), turning on what would change results is refused, turning on what only changes
op types (control flow v2) logs that minitf keeps TF1's ops, and resource variables switch."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import UnimplementedError


def test_disabling_tf2_behaviour_keeps_graph_mode():
    for switch in (tf.disable_v2_behavior, tf.disable_eager_execution,
                   tf.disable_resource_variables, tf.disable_control_flow_v2,
                   tf.disable_tensor_equality, tf.disable_v2_tensorshape):
        assert switch() is None
    assert not tf.executing_eagerly() and not tf.executing_eagerly_outside_functions()
    assert not tf.resource_variables_enabled() and not tf.control_flow_v2_enabled()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(x * 2.0, {x: [1.0, 2.0]}), [2.0, 4.0])


@pytest.mark.parametrize("switch, what", [
    (tf.enable_v2_behavior, "enable_v2_behavior"), (tf.enable_eager_execution, "eager"),
    (tf.enable_tensor_equality, "element-wise =="), (tf.enable_v2_tensorshape, "int dim")])
def test_tf2_behaviour_that_changes_results_is_refused(switch, what):
    with pytest.raises(UnimplementedError, match=f"graph mode only: {what}"):
        switch()


def test_tf2_op_types_are_declined_with_a_warning(caplog):
    with caplog.at_level("WARNING", logger="minitf"):
        tf.enable_control_flow_v2()
    assert "TF1's control flow" in caplog.text


def test_resource_variables_switch_on_and_off(caplog):
    """Resource variables exist (test_resource_variables.py): the switch makes them, quietly."""
    try:
        with caplog.at_level("WARNING", logger="minitf"):
            tf.enable_resource_variables()
        assert tf.resource_variables_enabled() and not caplog.text
        with tf.Graph().as_default():
            v = tf.Variable(1.0)
            assert v.op.type == "VariableV2" and v.value().op.type == "Copy"
    finally:
        tf.disable_resource_variables()
    assert not tf.resource_variables_enabled()
    with tf.Graph().as_default():
        assert tf.Variable(1.0).value().op.type == "Identity"
