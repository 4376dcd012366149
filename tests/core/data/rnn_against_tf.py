"""minitf's tf.nn.rnn_cell cells with static_rnn / dynamic_rnn against tf.compat.v1's (Keras 2
cells): the same variable names, and with the variables set to the same random values, the
same outputs and final states (with and without sequence_length, batch- and time-major, a
time dimension known only at run time, bidirectional (dynamic and static), the Dropout and
Residual wrappers).
Prints one line per case, "OK" when everything agrees. Run with TF_USE_LEGACY_KERAS=1."""

import numpy as np
import tensorflow.compat.v1 as tf1

import minitf as mtf

tf1.disable_v2_behavior()

CELLS = {
    "basic_rnn": lambda T: T.nn.rnn_cell.BasicRNNCell(4),
    "gru": lambda T: T.nn.rnn_cell.GRUCell(4),
    "basic_lstm": lambda T: T.nn.rnn_cell.BasicLSTMCell(4, forget_bias=0.5),
    "lstm": lambda T: T.nn.rnn_cell.LSTMCell(3),
    "multi": lambda T: T.nn.rnn_cell.MultiRNNCell([T.nn.rnn_cell.LSTMCell(3),
                                                   T.nn.rnn_cell.GRUCell(2)]),
    # TF1's deprecated concatenated state: the cells' states side by side in one tensor.
    "multi_concat": lambda T: T.nn.rnn_cell.MultiRNNCell(
        [T.nn.rnn_cell.GRUCell(2), T.nn.rnn_cell.LSTMCell(3, state_is_tuple=False)],
        state_is_tuple=False),
    # Wrappers add no variables; keep probabilities of 1 add no random draws.
    "wrapped": lambda T: T.nn.rnn_cell.MultiRNNCell([
        T.nn.rnn_cell.DropoutWrapper(T.nn.rnn_cell.LSTMCell(2), input_keep_prob=1.0,
                                     output_keep_prob=1.0),
        T.nn.rnn_cell.ResidualWrapper(T.nn.rnn_cell.GRUCell(2))]),
}


def flat(state):
    if isinstance(state, tuple):
        return [t for s in state for t in flat(s)]
    return [state]


def run(T, make, mode):
    rng = np.random.default_rng(0)
    x_value = rng.standard_normal((3, 5, 2)).astype(np.float32)
    lengths = np.array([5, 2, 0], np.int32)
    graph = T.Graph()
    with graph.as_default():
        # "run_time": a time dimension known only when the graph runs (a while loop).
        x = T.placeholder(T.float32, [3, None if "run_time" in mode else 5, 2])
        cell = make(T)
        if mode.startswith("bidirectional"):
            (fw, bw), (state_fw, state_bw) = T.nn.bidirectional_dynamic_rnn(
                cell, make(T), x, sequence_length=lengths if "lengths" in mode else None,
                dtype=T.float32)
            outputs, state = T.concat([fw, bw], 2), (state_fw, state_bw)
        elif mode.startswith("static_bidirectional"):
            outs, state_fw, state_bw = T.nn.static_bidirectional_rnn(
                cell, make(T), T.unstack(x, axis=1), dtype=T.float32,
                sequence_length=lengths if "lengths" in mode else None)
            outputs, state = T.stack(outs, axis=1), (state_fw, state_bw)
        elif mode == "static":
            outputs, state = T.nn.static_rnn(cell, T.unstack(x, axis=1), dtype=T.float32)
            outputs = T.stack(outputs, axis=1)
        elif mode == "time_major":
            outputs, state = T.nn.dynamic_rnn(cell, T.transpose(x, [1, 0, 2]),
                                              dtype=T.float32, time_major=True)
            outputs = T.transpose(outputs, [1, 0, 2])
        else:
            outputs, state = T.nn.dynamic_rnn(
                cell, x, dtype=T.float32,
                sequence_length=lengths if "lengths" in mode else None)
        variables = sorted(T.global_variables(), key=lambda v: v.op.name)
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            for v in variables:  # the same values in both, by name order
                sess.run(v.assign(rng.standard_normal(v.shape.as_list()).astype(np.float32)))
            values = sess.run([outputs] + flat(state), {x: x_value})
    return [v.op.name for v in variables], values


for name, make in CELLS.items():
    for mode in ("plain", "lengths", "time_major", "static", "run_time_lengths",
                 "bidirectional", "bidirectional_lengths_run_time",
                 "static_bidirectional_lengths"):
        (ours_names, ours), (their_names, theirs) = run(mtf, make, mode), run(tf1, make, mode)
        same = ours_names == their_names and len(ours) == len(theirs) and all(
            np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(ours, theirs))
        print(name, mode, "OK" if same else f"DIFF {ours_names} {their_names}")
