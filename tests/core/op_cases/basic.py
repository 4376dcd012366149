"""Cases for the engine's basic ops: constants, identity, shape plumbing, core arithmetic,
state and random ops."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(42)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _bga(s0, s1):
    a = [1] * (max(len(s0), len(s1)) - len(s0)) + list(s0)
    b = [1] * (max(len(s0), len(s1)) - len(s1)) + list(s1)
    r0 = [i for i, (x, y) in enumerate(zip(a, b)) if x == 1]
    r1 = [i for i, (x, y) in enumerate(zip(a, b)) if y == 1]
    return np.array(r0, np.int32), np.array(r1, np.int32)


def _normal_check(mean, std):
    def check(outs, inputs):
        (x,) = outs
        assert x.shape == (4000,) and x.dtype == np.float32
        assert abs(x.mean() - mean) < 0.1 and abs(x.std() - std) < 0.1
    return check


def _truncated_check(outs, inputs):
    (x,) = outs
    assert x.shape == (4000,) and np.all(np.abs(x) <= 2.0)
    assert 0.75 < x.std() < 0.95  # a unit normal truncated to [-2, 2] has std 0.88


def _uniform_check(outs, inputs):
    (x,) = outs
    assert x.shape == (4000,) and x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.05


def _uniform_int_check(outs, inputs):
    (x,) = outs
    assert x.dtype == np.int32 and x.min() >= 3 and x.max() < 9
    assert set(np.unique(x)) == set(range(3, 9))


CASES = [
    Case("Const", [], attrs={"value": np.arange(6, dtype=np.float32).reshape(2, 3),
                             "dtype": np.float32},
         ref=lambda value, dtype: value, id="Const-2x3"),
    Case("Const", [], attrs={"value": np.array(7, dtype=np.int64), "dtype": np.int64},
         ref=lambda value, dtype: value, id="Const-scalar-int64"),
    Case("Identity", [f32(3, 2)], ref=lambda x: x),
    Case("Identity", [np.array([1, 2], np.int32)], ref=lambda x: x, id="Identity-int"),
    Case("StopGradient", [f32(2, 2)], ref=lambda x: x),
    Case("NoOp", [], ref=lambda: ()),
    Case("PlaceholderWithDefault", [f32(2, 3)], attrs={"shape": [None, 3]},
         ref=lambda x, shape: x, exact_shape=False),
    Case("Shape", [f32(2, 3, 4)], ref=lambda x: np.array(x.shape, np.int32)),
    Case("Shape", [f32(5)], attrs={"out_type": np.int64},
         ref=lambda x, out_type: np.array(x.shape, np.int64), id="Shape-int64"),
    Case("Reshape", [f32(2, 6), Const(np.array([3, -1], np.int32))],
         ref=lambda x, s: x.reshape(3, 4)),
    Case("Reshape", [f32(4), Const(np.array([2, 2], np.int64))], ref=lambda x, s: x.reshape(2, 2),
         id="Reshape-int64-shape"),
    Case("Reshape", [f32(3, 1), np.array([3], np.int32)], ref=lambda x, s: x.reshape(3),
         id="Reshape-fed-shape", exact_shape=False),
    Case("Fill", [Const(np.array([2, 3], np.int32)), np.float32(1.5)],
         ref=lambda d, v: np.full((2, 3), 1.5, np.float32)),
    Case("BroadcastGradientArgs", [np.array([2, 1, 3], np.int32), np.array([4, 3], np.int32)],
         ref=_bga, exact_shape=False),
    Case("ZerosLike", [f32(2, 3)], ref=np.zeros_like),
    Case("OnesLike", [np.array([[1, 2]], np.int64)], ref=np.ones_like),
    Case("Add", [f32(2, 3), f32(3)], ref=np.add),
    Case("AddV2", [f32(4, 1, 3), f32(2, 1)], ref=np.add),
    Case("AddV2", [np.array([1, 2], np.int32), np.array([5], np.int32)], ref=np.add,
         id="AddV2-int"),
    Case("Sub", [f32(2, 3), f32(2, 1)], ref=np.subtract),
    Case("Mul", [f32(3, 1), f32(1, 4)], ref=np.multiply),
    Case("RealDiv", [f32(2, 3), (np.abs(f32(3)) + 0.5).astype(np.float32)], ref=np.divide),
    Case("Neg", [f32(2, 2)], ref=np.negative),
    Case("Square", [f32(3)], ref=np.square),
    Case("Cast", [f32(2, 3)], attrs={"DstT": np.float64},
         ref=lambda x, DstT: x.astype(np.float64)),
    Case("Cast", [np.array([1.7, -2.2], np.float32)], attrs={"DstT": np.int32},
         ref=lambda x, DstT: np.array([1, -2], np.int32), id="Cast-truncates", grad=[]),
    Case("Sum", [f32(2, 3, 4), Const(np.array([0, 2], np.int32))], attrs={"keep_dims": False},
         ref=lambda x, a, keep_dims: x.sum(axis=(0, 2))),
    Case("Sum", [f32(2, 3), Const(np.array(-1, np.int32))], attrs={"keep_dims": True},
         ref=lambda x, a, keep_dims: x.sum(axis=-1, keepdims=True), id="Sum-keepdims"),
    Case("Sum", [np.arange(6, dtype=np.int32).reshape(2, 3), Const(np.array([1], np.int32))],
         ref=lambda x, a: x.sum(axis=1).astype(np.int32), id="Sum-int"),
    Case("Mean", [f32(3, 4), Const(np.array([0], np.int32))],
         ref=lambda x, a: x.mean(axis=0)),
    Case("Mean", [np.array([[1, 2], [4, 7]], np.int32), Const(np.array([0, 1], np.int32))],
         ref=lambda x, a: np.array(3, np.int32), id="Mean-int-truncates"),
    # toward zero, as TF's C++ division: -5 / 3 is -1 and -7 / 2 is -3, not floor's -2 and -4
    Case("Mean", [np.array([[-1, -2, -2], [-7, 0, 0], [9, -2, 0]], np.int64),
                  Const(np.array(1, np.int32))],
         ref=lambda x, a: np.array([-1, -2, 2], np.int64), id="Mean-int-negative"),
    Case("Mean", [np.array([[-3, 4], [-4, -7]], np.int8), Const(np.array([0], np.int32))],
         attrs={"keep_dims": True}, ref=lambda x, a, keep_dims: np.array([[-3, -1]], np.int8),
         id="Mean-int8-keepdims"),
    Case("MatMul", [f32(2, 3), f32(3, 4)], ref=np.matmul),
    Case("MatMul", [f32(3, 2), f32(4, 3)], attrs={"transpose_a": True, "transpose_b": True},
         ref=lambda a, b, **k: a.T @ b.T, id="MatMul-tt"),
    Case("MatMul", [f32(3, 2), f32(3, 4)], attrs={"transpose_a": True},
         ref=lambda a, b, **k: a.T @ b, id="MatMul-ta"),
    # grad_a / grad_b: TF's hints that the product is a gradient; the values are the same.
    Case("MatMul", [f32(2, 3), f32(4, 3)], attrs={"transpose_b": True, "grad_a": True,
                                                  "grad_b": True},
         ref=lambda a, b, **k: a @ b.T, id="MatMul-grad-hints"),
    Case("AddN", [[f32(2, 2), f32(2, 2), f32(2, 2)]], ref=lambda xs: xs[0] + xs[1] + xs[2]),
    Case("RandomStandardNormal", [Const(np.array([4000], np.int32))],
         attrs={"dtype": np.float32, "seed": 1, "seed2": 2}, ref=None, check=_normal_check(0, 1)),
    Case("TruncatedNormal", [Const(np.array([4000], np.int32))],
         attrs={"dtype": np.float32, "seed": 1, "seed2": 3}, ref=None, check=_truncated_check),
    Case("RandomUniform", [Const(np.array([4000], np.int32))],
         attrs={"dtype": np.float32, "seed": 3, "seed2": 4}, ref=None, check=_uniform_check),
    Case("RandomUniformInt", [Const(np.array([4000], np.int32)), np.int32(3), np.int32(9)],
         attrs={"seed": 5, "seed2": 6}, ref=None, check=_uniform_int_check),
]

COVERED_BY = {
    # A Python function behind a token: test_py_func.py builds them through tf.py_func.
    "PyFunc": "test_py_func.py::test_py_func_outputs_and_dtypes",
    "PyFuncStateless": "test_py_func.py::test_stateless_py_func_still_runs_every_time",
    "Placeholder": "test_session.py::test_unfed_placeholder_names_it",
    # Dead outputs are not values: the run-time routing and gradients have their own tests.
    "Switch": "test_control_flow.py::test_switch_and_merge_ops",
    "Merge": "test_control_flow.py::test_switch_and_merge_ops",
    "RefMerge": "test_control_flow.py::test_switch_and_merge_ops",
    "RefSwitch": "test_control_flow.py::test_ref_switch_defers_reads_and_updates",
    "_SwitchN": "test_control_flow.py::test_switch_n_routes_to_one_output",
    # A loop's frame ops run only inside the loop's step: tested as loops.
    "Enter": "test_while_loop.py::test_loop_frame_ops_by_hand",
    "Exit": "test_while_loop.py::test_loop_frame_ops_by_hand",
    "NextIteration": "test_while_loop.py::test_loop_frame_ops_by_hand",
    "LoopCond": "test_while_loop.py::test_loop_frame_ops_by_hand",
    "RefEnter": "test_while_loop.py::test_variables_in_the_body",
    # TensorArray ops share per-run state (the handle): tested through the TensorArray class.
    "TensorArrayV3": "test_tensor_array.py::test_write_read_stack_and_size",
    "TensorArrayWriteV3": "test_tensor_array.py::test_write_read_stack_and_size",
    "TensorArrayReadV3": "test_tensor_array.py::test_write_read_stack_and_size",
    "TensorArraySizeV3": "test_tensor_array.py::test_write_read_stack_and_size",
    "TensorArrayGatherV3": "test_tensor_array.py::test_unstack_gather_scatter_concat_split",
    "TensorArrayScatterV3": "test_tensor_array.py::test_unstack_gather_scatter_concat_split",
    "TensorArrayConcatV3": "test_tensor_array.py::test_unstack_gather_scatter_concat_split",
    "TensorArraySplitV3": "test_tensor_array.py::test_unstack_gather_scatter_concat_split",
    "TensorArrayCloseV3": "test_tensor_array.py::test_close_is_accepted",
    "TensorArrayGradV3": "test_tensor_array.py::test_gradients_through_arrays_and_functionals",
    "StackV2": "test_while_loop.py::test_stack_ops_and_control_trigger_by_hand",
    "StackPushV2": "test_while_loop.py::test_stack_ops_and_control_trigger_by_hand",
    "StackPopV2": "test_while_loop.py::test_stack_ops_and_control_trigger_by_hand",
    "ControlTrigger": "test_while_loop.py::test_stack_ops_and_control_trigger_by_hand",
    "VariableV2": "test_variables.py::test_variable_lifecycle",
    "Assign": "test_variables.py::test_variable_lifecycle",
    "AssignAdd": "test_variables.py::test_assign_add_and_sub_update_in_place",
    "AssignSub": "test_variables.py::test_assign_add_and_sub_update_in_place",
    "IsVariableInitialized": "test_variables.py::test_is_variable_initialized",
    "StridedSliceAssign": "test_variables.py::test_sliced_assignment_matches_numpy",
    **{f"Scatter{k}": "test_variables.py::test_scatter_updates_match_numpy"
       for k in ("Update", "Add", "Sub", "Mul", "Div", "Max", "Min")},
    # In-place optimizer updates: checked step by step against hand-computed numpy.
    "ApplyGradientDescent": "test_training.py::test_gradient_descent_matches_numpy",
    "ApplyMomentum": "test_training.py::test_momentum_matches_numpy",
    "ApplyAdam": "test_training.py::test_adam_matches_numpy",
    "ApplyRMSProp": "test_training.py::test_rmsprop_matches_numpy",
    "ApplyCenteredRMSProp": "test_training.py::test_rmsprop_matches_numpy",
    "ApplyAdagrad": "test_training.py::test_adagrad_matches_numpy",
    "SparseApplyAdagrad": "test_training.py::test_sparse_kernels_update_only_their_rows",
    "SparseApplyMomentum": "test_training.py::test_sparse_kernels_update_only_their_rows",
    "SparseApplyRMSProp": "test_training.py::test_sparse_kernels_update_only_their_rows",
    "SparseApplyCenteredRMSProp":
        "test_training.py::test_sparse_kernels_update_only_their_rows",
    "ApplyAdadelta": "test_training.py::test_adadelta_matches_numpy",
    "SparseApplyAdadelta": "test_training.py::test_adadelta_matches_numpy",
    # Raises on Inf/NaN: values, messages and its gradient's check in one test.
    "CheckNumerics": "test_session.py::test_check_numerics_passes_finite_values_and_names_bad_ones",
    # Writes to stderr: its output format, first_n, gradient and GraphDef round trip.
    "Print": "test_session.py::test_print_writes_tf1s_format_and_passes_its_input",
    "Assert": "test_session.py::test_asserts_fail_the_run_with_tf1s_messages",
    # Random: uniqueness, range, Zipfian frequencies and TF's expected counts.
    "LogUniformCandidateSampler": "test_sampled_losses.py::test_log_uniform_sampler",
}

CASES += [
    Case("BroadcastTo", [f32(3, 1), Const(np.array([2, 3, 4], np.int32))],
         ref=lambda x, s: np.broadcast_to(x, (2, 3, 4))),
    Case("BroadcastTo", [f32(4), Const(np.array([3, 4], np.int64))],
         ref=lambda x, s: np.broadcast_to(x, (3, 4)), id="BroadcastTo-int64-shape"),
    Case("BroadcastTo", [f32(2, 1), np.array([2, 5], np.int32)],
         ref=lambda x, s: np.broadcast_to(x, (2, 5)), id="BroadcastTo-fed-shape",
         exact_shape=False),
]
CASES += [
    Case("ShapeN", [[f32(2, 3), f32(4)]], ref=lambda xs: (np.array([2, 3], np.int32),
                                                        np.array([4], np.int32))),
    Case("ShapeN", [[f32(1, 2, 3), f32(5, 6), f32(7)]], attrs={"out_type": np.int64},
         ref=lambda xs, out_type: tuple(np.array(x.shape, np.int64) for x in xs),
         id="ShapeN-int64"),
]
CASES += [
    # Distinct values in order of first appearance (not sorted, unlike np.unique), by hand.
    Case("Unique", [np.array([3, 1, 3, 2, 1, 7], np.int64)],
         ref=lambda x: (np.array([3, 1, 2, 7], np.int64), np.array([0, 1, 0, 2, 1, 3], np.int32)),
         exact_shape=False),
    Case("Unique", [np.array([0.5, -1.0, 0.5], np.float32)], attrs={"out_idx": np.int64},
         ref=lambda x, out_idx: (np.array([0.5, -1.0], np.float32), np.array([0, 1, 0], np.int64)),
         id="Unique-float-int64", exact_shape=False),
]
