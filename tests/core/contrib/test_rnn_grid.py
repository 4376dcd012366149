"""tf.contrib.rnn's TimeFreqLSTMCell, GridLSTMCell, BidirectionalGridLSTMCell and
WeightNormLSTMCell: TF 1.15's variable names, state/output sizes, and each cell's equations
(Sainath & Li 2016; Kalchbrenner et al. 2016; Salimans & Kingma 2016, as TF 1.15's
contrib/rnn/python/ops/rnn_cell.py states them) written out in numpy, run over a few steps with
every variable set by name to a deterministic value. TF 2 has none of these cells to compare
with."""

import numpy as np
import pytest

import minitf as tf
from tests.core.contrib.test_rnn import run_with, sigmoid

R = tf.contrib.rnn
rng = np.random.default_rng(11)
BATCH, STEPS = 2, 3


def seq(depth):
    return rng.standard_normal((BATCH, STEPS, depth)).astype(np.float32)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def run(cell, x, scope, init=None, static=True, feed_x=None):
    """Runs ``cell`` over ``x`` [batch, time, depth] (static_rnn or dynamic_rnn): (outputs
    [batch, time, out], final state, variable values and names, both without ``scope/``)."""
    src = tf.constant(x) if feed_x is None else feed_x
    if static:
        outs, state = tf.nn.static_rnn(cell, tf.unstack(src, axis=1), initial_state=init,
                                       dtype=tf.float32, scope=scope)
    else:
        outs, state = tf.nn.dynamic_rnn(cell, src, initial_state=init, dtype=tf.float32,
                                        scope=scope)
    names = [v.op.name for v in tf.global_variables(scope)]
    feed = None if feed_x is None else {feed_x: x}
    (out, st), values = run_with([outs, state], feed)
    out = np.stack(out, 1) if static else out
    cut = len(scope) + 1
    return out, st, {n[cut:]: values[n] for n in names}, [n[cut:] for n in names]


def concat_var(v, name):
    """TF1's _get_concat_variable, read back: ``name_0``, ``name_1``... stacked by rows."""
    shards, k = [], 0
    while f"{name}_{k}" in v:
        shards.append(v[f"{name}_{k}"])
        k += 1
    return np.concatenate(shards, 0)


def windows(x, start, end, size, skip, offset=0):
    """The frequency windows of x[:, start:end] (``offset``: the backward shift, the input
    zero-padded at the end, or at the front for a negative one)."""
    if offset > 0:
        x = np.pad(x, ((0, 0), (0, offset)))
    elif offset < 0:
        x = np.pad(x, ((0, 0), (-offset, 0)))
        offset = 0
    count = int((end - start - size) / skip) + 1
    return [x[:, start + offset + k * skip:start + offset + k * skip + size]
            for k in range(count)]


# -- TimeFreqLSTMCell --------------------------------------------------------------------------

def time_freq_step(v, p, x, state, n, size, skip, peep, clip, fb):
    w, b = concat_var(v, p + "W"), v[p + "B"]
    w_f, w_i, w_o = (v[p + f"W_{g}_diag"] for g in "FIO") if peep else (0, 0, 0)
    m_freq = np.zeros((x.shape[0], n))
    outs, states = [], []
    for k, xk in enumerate(windows(x, 0, x.shape[1], size, skip)):
        c_prev, m_prev = np.split(state[:, 2 * k * n:(2 * k + 2) * n], 2, axis=1)
        i, j, f, o = np.split(np.concatenate([xk, m_prev, m_freq], 1) @ w + b, 4, axis=1)
        c = sigmoid(f + fb + w_f * c_prev) * c_prev + sigmoid(i + w_i * c_prev) * np.tanh(j)
        if clip is not None:
            c = np.clip(c, -clip, clip)
        m = sigmoid(o + w_o * c) * np.tanh(c)
        m_freq = m
        outs.append(m)
        states += [c, m]
    return np.concatenate(outs, 1), np.concatenate(states, 1)


@pytest.mark.parametrize("peep, clip, shards", [(False, None, 1), (True, 0.4, 2)])
def test_time_freq_lstm_cell(peep, clip, shards):
    n, size, skip, depth = 3, 3, 2, 7  # windows at columns 0, 2, 4 (column 6 unused)
    cell = R.TimeFreqLSTMCell(n, use_peepholes=peep, cell_clip=clip, num_unit_shards=shards,
                              forget_bias=0.7, feature_size=size, frequency_skip=skip)
    assert (cell.state_size, cell.output_size) == (2 * n, n)  # TF1's: one window's
    x = seq(depth)
    init = rng.standard_normal((BATCH, 2 * n * 3)).astype(np.float32)
    out, st, v, names = run(cell, x, "tf", init=tf.constant(init))
    p = "time_freq_lstm_cell/"
    assert names == [p + f"W_{k}" for k in range(shards)] + [p + "B"] + \
        ([p + f"W_{g}_diag" for g in "FIO"] if peep else [])
    assert v[p + "W_0"].shape[1] == 4 * n and sum(
        v[p + f"W_{k}"].shape[0] for k in range(shards)) == size + 2 * n
    state, want = init, []
    for t in range(STEPS):
        m, state = time_freq_step(v, p, x[:, t], state, n, size, skip, peep, clip, 0.7)
        want.append(m)
    close(out, np.stack(want, 1))
    close(st, state)


def test_time_freq_one_window_dynamic_rnn_and_unknown_batch():
    """One window (feature_size = depth): state_size is then the real one, so dynamic_rnn's
    zero state fits; the batch may be unknown."""
    n, depth = 4, 5
    cell = R.TimeFreqLSTMCell(n, use_peepholes=True, feature_size=depth)
    x = seq(depth)
    ph = tf.placeholder(tf.float32, [None, STEPS, depth])
    out, st, v, _ = run(cell, x, "one", static=False, feed_x=ph)
    p = "time_freq_lstm_cell/"
    state, want = np.zeros((BATCH, 2 * n)), []
    for t in range(STEPS):
        m, state = time_freq_step(v, p, x[:, t], state, n, depth, 1, True, None, 1.0)
        want.append(m)
    close(out, np.stack(want, 1))
    close(st, state)


def test_time_freq_errors():
    x = tf.zeros([2, 3])
    with pytest.raises(ValueError, match=r"input depth \(3\) is smaller than feature_size \(4\)"):
        R.TimeFreqLSTMCell(2, feature_size=4)(x, tf.zeros([2, 4]))
    with pytest.raises(ValueError, match="needs feature_size"):
        R.TimeFreqLSTMCell(2)(x, tf.zeros([2, 4]))
    with pytest.raises(ValueError, match="cannot infer input_size"):
        R.TimeFreqLSTMCell(2, feature_size=2)(tf.placeholder(tf.float32, [2, None]),
                                              tf.zeros([2, 4]))
    # two windows need 2 * 2 * 2 state columns; the zero state of state_size has 4
    cell = R.TimeFreqLSTMCell(2, feature_size=2, frequency_skip=1)
    with pytest.raises(ValueError, match="state has 4 columns, but 2 frequency windows of 2 "
                                         "units need 8"):
        cell(x, cell.zero_state(2, tf.float32))


# -- GridLSTMCell / BidirectionalGridLSTMCell --------------------------------------------------

def grid_block(v, p, b, wins, prev, n, peep=False, share=False, coupled=False, clip=None,
               fb=1.0):
    """One frequency block: ``prev(k)`` is window k's (c_time, m_time) from the state.
    Returns ([m_time, m_freq per window], [c_time, m_time per window])."""
    w_fq, b_fq = concat_var(v, f"{p}W_f_{b}"), v[f"{p}B_f_{b}"]
    w_tm, b_tm = (w_fq, b_fq) if share else (concat_var(v, f"{p}W_t_{b}"), v[f"{p}B_t_{b}"])

    def diag(lstm, gate, src):  # the peephole of ``lstm``'s gate on the freq/time cell
        if not peep:
            return 0.0
        return v[f"{p}W_{gate}_diag_{'freq' if share else lstm}{src}_{b}"]

    def split(z):
        parts = np.split(z, 3 if coupled else 4, axis=1)
        return (parts[0], parts[1], None, parts[2]) if coupled else parts

    c_freq = m_freq = np.zeros((wins[0].shape[0], n))
    outs, states = [], []
    for k, x in enumerate(wins):
        c_time_prev, m_time_prev = prev(k)
        z = np.concatenate([x, m_time_prev, m_freq], 1)
        new = {}
        for lstm, w, bias, c_own in (("freq", w_fq, b_fq, c_freq),
                                     ("time", w_tm, b_tm, c_time_prev)):
            i, j, f, o = split(z @ w + bias)
            i_g = sigmoid(i + diag(lstm, "I", "f") * c_freq + diag(lstm, "I", "t") * c_time_prev)
            f_g = 1 - i_g if coupled else sigmoid(f + fb + diag(lstm, "F", "f") * c_freq +
                                                  diag(lstm, "F", "t") * c_time_prev)
            c = f_g * c_own + i_g * np.tanh(j)
            new[lstm] = (np.clip(c, -clip, clip) if clip is not None else c, o)
        (c_fq, o_fq), (c_tm, o_tm) = new["freq"], new["time"]
        m_fq = sigmoid(o_fq + diag("freq", "O", "f") * c_fq + diag("freq", "O", "t") * c_tm) * \
            np.tanh(c_fq)
        m_tm = sigmoid(o_tm + diag("time", "O", "f") * c_fq + diag("time", "O", "t") * c_tm) * \
            np.tanh(c_tm)
        c_freq, m_freq = c_fq, m_fq
        outs += [m_tm, m_fq]
        states += [c_tm, m_tm]
    return outs, states


def field_names(prefix, blocks):
    return [f"{prefix}_f{f:02d}_b{b:02d}_{part}" for b, count in enumerate(blocks)
            for f in range(count) for part in "cm"]


def grid_vars(p, blocks, peep, share, coupled, shards=1):
    names = []
    for b in range(len(blocks)):
        for lstm in "ft"[:1 if share else 2]:
            names += [f"{p}W_{lstm}_{b}_{k}" for k in range(shards)] + [f"{p}B_{lstm}_{b}"]
        if peep:
            names += [f"{p}W_{g}_diag_{lstm}{src}_{b}" for lstm in
                      (("freq",) if share else ("freq", "time"))
                      for g in ("IO" if coupled else "FIO") for src in "ft"]
    return names


GRID_CASES = {
    # one block over the whole input: windows at 0, 2, 4 of a depth-6 input
    "one_block_peepholes_clip": dict(depth=6, size=2, skip=2, blocks=[3], peep=True, clip=0.5),
    # blocks [0, 4) (windows 0, 1, 2) and [4, 7) (windows 4, 5); shared weights, coupled gates
    "two_blocks_shared_coupled": dict(depth=7, size=2, skip=1, blocks=[3, 2], starts=[0, 4],
                                      ends=[4, 7], peep=True, share=True, coupled=True),
    "two_blocks_plain_shards": dict(depth=6, size=3, skip=3, blocks=[1, 1], starts=[0, 3],
                                    ends=[3, 6], shards=2),
}


def make_grid(cls, n, c, **extra):
    return cls(n, use_peepholes=c.get("peep", False),
               share_time_frequency_weights=c.get("share", False), cell_clip=c.get("clip"),
               num_unit_shards=c.get("shards", 1), forget_bias=0.8, feature_size=c["size"],
               frequency_skip=c["skip"], num_frequency_blocks=c["blocks"],
               start_freqindex_list=c.get("starts"), end_freqindex_list=c.get("ends"),
               couple_input_forget_gates=c.get("coupled", False), **extra)


def spans(c):
    return list(zip(c["starts"], c["ends"])) if "starts" in c else [(0, c["depth"])]


def ref_kwargs(c):
    return dict(peep=c.get("peep", False), share=c.get("share", False),
                coupled=c.get("coupled", False), clip=c.get("clip"), fb=0.8)


@pytest.mark.parametrize("state_is_tuple", [True, False])
@pytest.mark.parametrize("case", sorted(GRID_CASES))
def test_grid_lstm_cell(case, state_is_tuple):
    c, n = GRID_CASES[case], 2
    cell = make_grid(R.GridLSTMCell, n, c, state_is_tuple=state_is_tuple)
    total = sum(c["blocks"])
    assert cell.output_size == 2 * n * total
    if state_is_tuple:
        assert cell.state_tuple_type.__name__ == "GridLSTMStateTuple"
        assert list(cell.state_size._fields) == field_names("state", c["blocks"])
        assert tuple(cell.state_size) == (n,) * (2 * total)
    else:
        assert cell.state_tuple_type is None and cell.state_size == 2 * n * total
    x = seq(c["depth"])
    out, st, v, names = run(cell, x, "g", static=state_is_tuple)
    p = "grid_lstm_cell/"
    assert names == grid_vars(p, c["blocks"], c.get("peep"), c.get("share"), c.get("coupled"),
                              c.get("shards", 1))
    if state_is_tuple:
        state = dict.fromkeys(field_names("state", c["blocks"]), np.zeros((BATCH, n)))
    else:
        state = np.zeros((BATCH, 2 * n * total))
    want = []
    for t in range(STEPS):
        outs, states = [], []
        for b, (start, end) in enumerate(spans(c)):
            if state_is_tuple:
                def prev(k, b=b, s=state):
                    return s[f"state_f{k:02d}_b{b:02d}_c"], s[f"state_f{k:02d}_b{b:02d}_m"]
            else:  # TF1 reads window k of every block from columns [2kn, 2kn + 2n)
                def prev(k, s=state):
                    return s[:, 2 * k * n:(2 * k + 1) * n], s[:, (2 * k + 1) * n:(2 * k + 2) * n]
            o, s_ = grid_block(v, p, b, windows(x[:, t], start, end, c["size"], c["skip"]),
                               prev, n, **ref_kwargs(c))
            outs += o
            states += s_
        want.append(np.concatenate(outs, 1))
        state = dict(zip(field_names("state", c["blocks"]), states)) if state_is_tuple else \
            np.concatenate(states, 1)
    close(out, np.stack(want, 1))
    if state_is_tuple:
        assert type(st).__name__ == "GridLSTMStateTuple"
        for name, value in state.items():
            close(getattr(st, name), value)
    else:
        close(st, state)


@pytest.mark.parametrize("offset", [0, 1, -1])
def test_bidirectional_grid_lstm_cell(offset):
    c = dict(depth=7, size=2, skip=1, blocks=[2, 2], starts=[0, 3], ends=[3, 6], peep=True,
             clip=0.6)
    n = 2
    cell = make_grid(R.BidirectionalGridLSTMCell, n, c, backward_slice_offset=offset)
    fields = field_names("fwd_state", c["blocks"]) + field_names("bwd_state", c["blocks"])
    assert list(cell.state_size._fields) == fields
    assert type(cell.state_size).__name__ == "BidirectionalGridLSTMStateTuple"
    assert cell.output_size == 2 * n * 4 * 2
    x = seq(c["depth"])
    out, st, v, names = run(cell, x, "bi", static=False)
    p = "bidirectional_grid_lstm_cell/"
    assert names == grid_vars(p + "fwd/", c["blocks"], True, False, False) + \
        grid_vars(p + "bwd/", c["blocks"], True, False, False)
    state = dict.fromkeys(fields, np.zeros((BATCH, n)))
    want = []
    for t in range(STEPS):
        outs, states = {}, {}
        for direction, shift in (("fwd", 0), ("bwd", offset)):
            outs[direction], states[direction] = [], []
            for b, (start, end) in enumerate(spans(c)):
                wins = windows(x[:, t], start, end, c["size"], c["skip"], shift)

                def prev(k, b=b, d=direction, s=state):
                    name = f"{d}_state_f{k:02d}_b{b:02d}"
                    return s[name + "_c"], s[name + "_m"]
                o, s_ = grid_block(v, f"{p}{direction}/", b,
                                   wins if direction == "fwd" else wins[::-1], prev, n,
                                   **ref_kwargs(c))
                outs[direction] += o
                states[direction] += s_
        want.append(np.concatenate(outs["fwd"] + outs["bwd"], 1))
        state = dict(zip(fields, states["fwd"] + states["bwd"]))
    close(out, np.stack(want, 1))
    for name, value in state.items():
        close(getattr(st, name), value)


def test_grid_unknown_batch_and_zero_state():
    c, n = GRID_CASES["one_block_peepholes_clip"], 3
    cell = make_grid(R.GridLSTMCell, n, c)
    zero = cell.zero_state(BATCH, tf.float32)
    assert type(zero).__name__ == "GridLSTMStateTuple"
    assert [z.shape.as_list() for z in zero] == [[BATCH, n]] * 6
    x = seq(c["depth"])
    ph = tf.placeholder(tf.float32, [None, STEPS, c["depth"]])
    out, _, v, _ = run(cell, x, "u", static=False, feed_x=ph)
    state = dict.fromkeys(field_names("state", c["blocks"]), np.zeros((BATCH, n)))
    for t in range(STEPS):
        o, s_ = grid_block(v, "grid_lstm_cell/", 0, windows(x[:, t], 0, 6, 2, 2),
                           lambda k, s=state: (s[f"state_f{k:02d}_b00_c"],
                                               s[f"state_f{k:02d}_b00_m"]), n, **ref_kwargs(c))
        close(out[:, t], np.concatenate(o, 1))
        state = dict(zip(field_names("state", c["blocks"]), s_))


def test_grid_errors():
    x = tf.zeros([2, 6])
    with pytest.raises(ValueError, match="Must specify num_frequency_blocks"):
        R.GridLSTMCell(2, feature_size=2, frequency_skip=2)

    def call(cell, inputs=x):
        return cell(inputs, cell.zero_state(2, tf.float32))

    with pytest.raises(ValueError, match=r"Invalid num_frequency_blocks, requires 3 but gets 2 "
                                         r"for block 0: columns \[0, 6\)"):
        call(R.GridLSTMCell(2, feature_size=2, frequency_skip=2, num_frequency_blocks=[2]))
    with pytest.raises(ValueError, match="Length of num_frequency_blocks is not 1"):
        call(R.GridLSTMCell(2, feature_size=2, frequency_skip=2, num_frequency_blocks=[2, 1]))
    with pytest.raises(ValueError, match=r"start and end freqindex_list does not match: 2 != 1"):
        call(R.GridLSTMCell(2, feature_size=2, frequency_skip=2, num_frequency_blocks=[1, 1],
                            start_freqindex_list=[0, 2], end_freqindex_list=[2]))
    with pytest.raises(ValueError, match="num_frequency_blocks is not equal to "
                                         "start_freqindex_list: 1 != 2"):
        call(R.GridLSTMCell(2, feature_size=2, frequency_skip=2, num_frequency_blocks=[1],
                            start_freqindex_list=[0, 2], end_freqindex_list=[2, 4]))
    with pytest.raises(ValueError, match=r"block 1 spans columns \[4, 8\), outside the input's "
                                         r"depth 6"):
        call(R.GridLSTMCell(2, feature_size=2, frequency_skip=2, num_frequency_blocks=[2, 2],
                            start_freqindex_list=[0, 4], end_freqindex_list=[4, 8]))
    with pytest.raises(ValueError, match=r"input depth \(6\) is smaller than feature_size \(8\)"):
        call(R.GridLSTMCell(2, feature_size=8, frequency_skip=1, num_frequency_blocks=[1]))
    with pytest.raises(ValueError, match=r"the width of frequency block 1, columns \[4, 5\), "
                                         r"\(1\) is smaller than feature_size \(2\)"):
        call(R.GridLSTMCell(2, feature_size=2, frequency_skip=2, num_frequency_blocks=[2, 1],
                            start_freqindex_list=[0, 4], end_freqindex_list=[4, 5]))
    with pytest.raises(ValueError, match="needs feature_size and frequency_skip"):
        call(R.GridLSTMCell(2, feature_size=2, num_frequency_blocks=[3]))
    with pytest.raises(ValueError, match="cannot infer input_size"):
        call(R.GridLSTMCell(2, feature_size=2, frequency_skip=2, num_frequency_blocks=[3]),
             tf.placeholder(tf.float32, [2, None]))
    cell = R.GridLSTMCell(2, feature_size=2, frequency_skip=2, num_frequency_blocks=[3])
    with pytest.raises(ValueError, match=r"state must be a GridLSTMStateTuple of 6 tensors"):
        cell(x, (tf.zeros([2, 2]),) * 4)
    cell = R.GridLSTMCell(2, feature_size=2, frequency_skip=2, num_frequency_blocks=[3],
                          state_is_tuple=False)
    with pytest.raises(ValueError, match="state has 8 columns, expected state_size 12"):
        cell(x, tf.zeros([2, 8]))


# -- WeightNormLSTMCell ------------------------------------------------------------------------

def wn_step(v, p, x, state, n, norm, peep, clip, proj, proj_clip, fb):
    c, h = state

    def linear(args, scope, bias):
        kernel = v[p + scope + "kernel"]
        if norm:
            parts, start = [], 0
            for k, a in enumerate(args):
                block = kernel[start:start + a.shape[1]]
                parts.append(block / np.sqrt(np.maximum((block ** 2).sum(0), 1e-12)) *
                             v[f"{p}{scope}norm_{k}"])
                start += a.shape[1]
            kernel = np.concatenate(parts, 0)
        out = np.concatenate(args, 1) @ kernel
        return out + v[p + scope + "bias"] if bias else out

    i, j, f, o = np.split(linear([x, h], "", True), 4, axis=1)
    w_f, w_i, w_o = (v[p + f"w_{g}_diag"] for g in "fio") if peep else (0, 0, 0)
    c = c * sigmoid(f + fb + w_f * c) + sigmoid(i + w_i * c) * np.tanh(j)
    if clip is not None:
        c = np.clip(c, -clip, clip)
    h = sigmoid(o + w_o * c) * np.tanh(c)
    if proj:
        h = linear([h], "projection/", False)
        if proj_clip is not None:
            h = np.clip(h, -proj_clip, proj_clip)
    return h, (c, h)


@pytest.mark.parametrize("norm, peep, clip, proj, proj_clip",
                         [(True, False, None, None, None), (True, True, 0.3, 2, 0.25),
                          (False, True, None, 2, None)])
def test_weight_norm_lstm_cell(norm, peep, clip, proj, proj_clip):
    n, depth = 3, 4
    cell = R.WeightNormLSTMCell(n, norm=norm, use_peepholes=peep, cell_clip=clip,
                                num_proj=proj, proj_clip=proj_clip, forget_bias=0.6)
    assert cell.state_size == (n, proj or n) and cell.output_size == (proj or n)
    x = seq(depth)
    out, st, v, names = run(cell, x, "wn", static=False)
    p = "weight_norm_lstm_cell/wn_lstm_cell/"
    assert names == [p + n_ for n_ in
                     ["kernel"] + (["norm_0", "norm_1"] if norm else []) + ["bias"] +
                     (["w_f_diag", "w_i_diag", "w_o_diag"] if peep else []) +
                     (["projection/kernel"] + (["projection/norm_0"] if norm else [])
                      if proj else [])]
    state, want = (np.zeros((BATCH, n)), np.zeros((BATCH, proj or n))), []
    for t in range(STEPS):
        h, state = wn_step(v, p, x[:, t], state, n, norm, peep, clip, proj, proj_clip, 0.6)
        want.append(h)
    close(out, np.stack(want, 1))
    close(st.c, state[0])
    close(st.h, state[1])


def test_weight_norm_initializer_and_errors():
    cell = R.WeightNormLSTMCell(2, initializer=tf.constant_initializer(0.25))
    cell(tf.zeros([1, 3]), cell.zero_state(1, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = {v.op.name.split("/")[-1]: sess.run(v) for v in tf.global_variables()}
    assert np.all(got["kernel"] == 0.25) and np.all(got["norm_0"] == 0.25)
    assert np.all(got["bias"] == 0)
    cell = R.WeightNormLSTMCell(2)
    with pytest.raises(ValueError, match="Could not infer input size"):
        cell(tf.placeholder(tf.float32, [1, None]), cell.zero_state(1, tf.float32))


# -- training ----------------------------------------------------------------------------------

def _grid_cell():
    return make_grid(R.GridLSTMCell, 2, GRID_CASES["two_blocks_shared_coupled"])


def _bidi_cell():
    return make_grid(R.BidirectionalGridLSTMCell, 2, GRID_CASES["two_blocks_plain_shards"],
                     backward_slice_offset=-1)


@pytest.mark.parametrize("make, depth, init_width", [
    (lambda: R.TimeFreqLSTMCell(2, use_peepholes=True, feature_size=3, frequency_skip=2), 5, 8),
    (_grid_cell, 7, None), (_bidi_cell, 6, None),
    (lambda: R.WeightNormLSTMCell(3, use_peepholes=True, num_proj=2), 4, None)])
def test_gradients_train(make, depth, init_width):
    tf.set_random_seed(5)
    x = seq(depth)
    cell = make()
    init = tf.zeros([BATCH, init_width]) if init_width else None
    outs, _ = tf.nn.static_rnn(cell, tf.unstack(tf.constant(x), axis=1), initial_state=init,
                               dtype=tf.float32)
    out = tf.stack(outs, 1)
    target = np.tanh(rng.standard_normal(out.shape.as_list())).astype(np.float32)
    loss = tf.reduce_mean(tf.square(out - target))
    grads = tf.gradients(loss, tf.trainable_variables())
    assert all(g is not None for g in grads)
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss)
        for _ in range(10):
            sess.run(train)
        assert sess.run(loss) < 0.9 * first
