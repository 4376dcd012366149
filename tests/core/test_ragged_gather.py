"""RaggedGather (core/ops/ragged_gather_ops.py): edge cases and TF's error messages against
hand-written values and a nested-list reference (TF-free), then side by side with TensorFlow's
raw op, its gradient, GraphDefs crossing, and a SavedModel doing BERT-style [CLS] + words +
[SEP] that TF writes with this op."""

import numpy as np
import pytest

import minitf as tf
from minitf.ops.ragged_gather_ops import RAGGED_GATHER

from .side_by_side import run_both_ways

S = np.array([0, 2, 2, 5], np.int64)
V = np.arange(1, 6, dtype=np.float32)


def _gather(splits, values, indices, rank=None, **kw):
    """RaggedGather's outputs run in a new graph and session (``rank`` defaults to the one
    the indices give)."""
    if rank is None:
        rank = np.ndim(indices) - 1 + len(splits)
    with tf.Graph().as_default():
        out = RAGGED_GATHER([tf.constant(np.asarray(s)) for s in splits],
                            tf.constant(np.asarray(values)), tf.constant(np.asarray(indices)),
                            OUTPUT_RAGGED_RANK=rank, **kw)
        with tf.Session() as sess:
            got = sess.run(out)
    got = got if isinstance(got, list) else [got]
    return [g.tolist() for g in got[:-1]], got[-1]


def _run_error(splits, values, indices, rank=None):
    """The message of the InvalidArgumentError running the op (its shapes hidden from
    inference by placeholders, so the kernel checks)."""
    if rank is None:
        rank = np.ndim(indices) - 1 + len(splits)
    with tf.Graph().as_default():
        phs = [tf.placeholder(tf.as_dtype(np.asarray(a).dtype)) for a in
               (*splits, values, indices)]
        out = RAGGED_GATHER(phs[:-2], phs[-2], phs[-1], OUTPUT_RAGGED_RANK=rank)
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
            sess.run(out, dict(zip(phs, [*splits, values, indices])))
    return e.value.message.split("\n")[0]  # without the node minitf names after it


# -- a reference from nested lists ----------------------------------------------------------------
def _nest(splits, values):
    """params as nested Python lists of rows (values' inner dims stay numpy rows)."""
    rows = list(values)
    for s in reversed(splits):
        rows = [rows[s[i]:s[i + 1]] for i in range(len(s) - 1)]
    return rows


def _flatten(nested, depth):
    """(nested splits, flat values) of ``nested`` with ``depth`` ragged levels."""
    splits, level = [], nested
    for _ in range(depth):
        splits.append(np.concatenate([[0], np.cumsum([len(r) for r in level])]).tolist())
        level = [x for r in level for x in r]
    return splits, level


def _reference(splits, values, indices):
    rows = _nest(splits, values)
    if np.ndim(indices) == 0:  # a scalar index: the row itself, one level less
        return _flatten(rows[int(indices)], len(splits) - 1)
    picked = np.empty(np.shape(indices), object)  # indices' dense dims, a row at each
    for pos in np.ndindex(*np.shape(indices)):
        picked[pos] = rows[int(np.asarray(indices)[pos])]
    return _flatten(picked.tolist(), np.ndim(indices) + len(splits) - 1)


def _random_case(rng, ragged_rank, index_rank, inner=()):
    nrows = int(rng.integers(1, 5))
    splits, n = [], nrows
    for _ in range(ragged_rank):
        lengths = rng.integers(0, 4, n)
        splits.append(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        n = int(lengths.sum())
    values = rng.standard_normal((n, *inner)).astype(np.float32)
    shape = tuple(int(d) for d in rng.integers(0, 4, index_rank))
    indices = rng.integers(0, nrows, shape).astype(np.int32)
    return splits, values, indices


@pytest.mark.parametrize("ragged_rank,index_rank,inner", [
    (1, 1, ()), (1, 2, ()), (1, 0, ()), (2, 1, ()), (2, 2, ()), (2, 0, ()), (3, 3, ()),
    (1, 1, (2,)), (2, 2, (3, 2))])
def test_random_cases_match_the_nested_list_reference(ragged_rank, index_rank, inner):
    rng = np.random.default_rng(10 * ragged_rank + index_rank + len(inner))
    for _ in range(5):
        splits, values, indices = _random_case(rng, ragged_rank, index_rank, inner)
        got_splits, got_values = _gather(splits, values, indices)
        want_splits, want_values = _reference(splits, values, indices)
        assert got_splits == want_splits
        np.testing.assert_array_equal(got_values,
                                      np.reshape(want_values, (-1, *values.shape[1:])))


def test_hand_written_shapes_ranks_and_dtypes():
    # OUTPUT_RAGGED_RANK > PARAMS_RAGGED_RANK with 2-D indices: [[[], [1, 2]], [[3, 4, 5], []]]
    assert _gather([S], V, np.array([[1, 0], [2, 1]]))[0] == [[0, 2, 4], [0, 0, 2, 5, 5]]
    # ragged rank 2, 2-D indices of params [[[1, 2], []], [[3, 4, 5]]]: rank 3
    splits, values = _gather([[0, 2, 3], S], V, np.array([[1], [0]]))
    assert splits == [[0, 1, 2], [0, 1, 3], [0, 3, 5, 5]] and values.tolist() == [3, 4, 5, 1, 2]
    # a scalar index on ragged rank 2: params[0] = [[1, 2], []], ragged rank 1
    splits, values = _gather([[0, 2, 3], S], V, np.array(0, np.int64))
    assert splits == [[0, 2, 2]] and values.tolist() == [1, 2]
    # int32 splits stay int32; indices of either dtype
    with tf.Graph().as_default():
        out = RAGGED_GATHER([tf.constant(S.astype(np.int32))], tf.constant(V),
                            tf.constant(np.array([2], np.int64)), OUTPUT_RAGGED_RANK=1)
        assert out[0].dtype == tf.int32 and out[1].dtype == tf.float32
        assert out[0].shape.as_list() == [None] and out[1].shape.as_list() == [None]
        assert tf.Session().run(out[0]).dtype == np.int32


def test_empty_params_and_empty_indices():
    # no rows at all: nothing to gather, and no index is in range
    splits, values = _gather([np.array([0], np.int64)], np.zeros([0, 3], np.float32),
                             np.zeros([0], np.int32))
    assert splits == [[0]] and values.shape == (0, 3)
    assert _run_error([np.array([0], np.int64)], np.zeros([0, 3], np.float32),
                      np.array([0], np.int32)) == "indices[0] = 0 is not in [0, 0)"
    # 2-D indices with no columns: two empty rows
    splits, values = _gather([S], V, np.zeros([2, 0], np.int32))
    assert splits == [[0, 0, 0], [0]] and values.shape == (0,)
    # empty splits: the index check comes first (num_params = -1), then the splits check
    assert _run_error([np.zeros([0], np.int64)], V, np.array([0], np.int32)) == \
        "indices[0] = 0 is not in [0, -1)"
    assert _run_error([np.zeros([0], np.int64)], V, np.zeros([0], np.int32)) == \
        "Ragged splits may not be empty"


def test_run_time_errors_have_tfs_wording():
    assert _run_error([S], V, np.array([3], np.int32)) == "indices[0] = 3 is not in [0, 3)"
    assert _run_error([S], V, np.array([[0, -1], [1, 2]], np.int64)) == \
        "indices[0,1] = -1 is not in [0, 3)"
    assert _run_error([S], V, np.array(7, np.int32)) == "indices = 7 is not in [0, 3)"
    assert _run_error([S], np.float32(1), np.array([0], np.int32)) == \
        "params.rank must be nonzero"
    for splits, message in [
            ([np.array([-1, 2, 5], np.int64)], "Ragged splits must be non-negative"),
            ([np.array([0, 3, 2, 5], np.int64)], "Ragged splits must be sorted"),
            ([np.array([0, 2, 6], np.int64)], "Ragged splits must not point past values"),
            # An outer level past the inner level's rows (TF reads out of bounds here).
            ([np.array([0, 1, 4], np.int64), S], "Ragged splits must not point past values")]:
        assert _run_error(splits, V, np.array([0], np.int32)) == message
    # indices of another rank than OUTPUT_RAGGED_RANK says (unknown until run)
    assert _run_error([S], V, np.array([0, 1], np.int32), rank=2) == \
        "Shape must be rank 2 but is rank 1"


def test_splits_need_not_start_at_zero_as_in_tf():
    # TF only asks for non-negative, sorted splits within the values: row 0 is values[1:2].
    assert _gather([np.array([1, 2, 5], np.int64)], V, np.array([0, 1]))[0] == [[0, 1, 4]]
    assert _gather([np.array([1, 2, 5], np.int64)], V, np.array([0]))[1].tolist() == [2]


def test_graph_construction_errors():
    with tf.Graph().as_default():
        s, v = tf.constant(S), tf.constant(V)
        with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
            RAGGED_GATHER([s], v, tf.constant([0, 1]), OUTPUT_RAGGED_RANK=2)
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
            RAGGED_GATHER([s], v, tf.constant([[0, 1]]), OUTPUT_RAGGED_RANK=1)
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
            RAGGED_GATHER([tf.constant([S])], v, tf.constant([0]), OUTPUT_RAGGED_RANK=1)
        with pytest.raises(ValueError, match="Shape must be at least rank 1 but is rank 0"):
            RAGGED_GATHER([s], tf.constant(1.0), tf.constant([0]), OUTPUT_RAGGED_RANK=1)
        with pytest.raises(ValueError, match="OUTPUT_RAGGED_RANK' of 'RaggedGather' Op passed "
                                             "-1 less than minimum 0"):
            RAGGED_GATHER([s], v, tf.constant(0), OUTPUT_RAGGED_RANK=-1)
        with pytest.raises(TypeError, match="parameter 'indices' has DataType float32 not in "
                                            "list of allowed values: int32, int64"):
            RAGGED_GATHER([s], v, tf.constant([0.0]), OUTPUT_RAGGED_RANK=1)
        # inner dims are kept; ragged sizes are unknown
        out = RAGGED_GATHER([s], tf.placeholder(tf.float32, [None, 3, None]),
                            tf.placeholder(tf.int32, [2, 7]), OUTPUT_RAGGED_RANK=2)
        assert [o.shape.as_list() for o in out] == [[None], [None], [None, 3, None]]


def test_gradient_is_sparse_at_the_positions_read():
    with tf.Graph().as_default():
        v = tf.placeholder(tf.float64, [None])
        out = RAGGED_GATHER([tf.constant(S)], v, tf.constant([[2, 0], [0, 0]]),
                            OUTPUT_RAGGED_RANK=2)
        y = tf.reduce_sum(out[-1] * tf.cast(tf.range(tf.size(out[-1])), tf.float64))
        dv, = tf.gradients(y, [v])
        assert isinstance(dv, tf.IndexedSlices)
        with tf.Session() as sess:
            got = sess.run(tf.convert_to_tensor(dv), {v: np.arange(5.0)})
    # values read: v[2:5] -> weights 0,1,2; v[0:2] three times -> (3+5+7), (4+6+8)
    assert got.tolist() == [15.0, 18.0, 0.0, 1.0, 2.0]


# -- side by side with TensorFlow -----------------------------------------------------------------
def _tf_raw(tf1, splits, values, indices, placeholders=False):
    ts = [tf1.constant(a) for a in (*splits, values, indices)]
    out = tf1.raw_ops.RaggedGather(params_nested_splits=ts[:-2], params_dense_values=ts[-2],
                                   indices=ts[-1],
                                   OUTPUT_RAGGED_RANK=np.ndim(indices) - 1 + len(splits))
    return list(out.output_nested_splits) + [out.output_dense_values]


def test_vs_tf_random_cases():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(7)
    cases = [_random_case(rng, r, i, inner) for r, i, inner in
             [(1, 1, ()), (1, 2, ()), (1, 0, ()), (2, 1, ()), (2, 2, (2,)), (2, 0, ()),
              (3, 2, ())] * 3]
    # int32 splits and int64 indices too, and string values
    cases.append(([S.astype(np.int32)], V, np.array([[2, 1, 0]], np.int64)))
    cases.append(([S], np.array([b"a", b"bb", b"", b"d", b"e"], object), np.array([2, 0])))
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        want = sess.run([_tf_raw(tf1, *c) for c in cases])
    for c, w in zip(cases, want):
        splits, values = _gather(*c)
        assert splits == [x.tolist() for x in w[:-1]]
        assert values.dtype == w[-1].dtype and values.shape == w[-1].shape
        np.testing.assert_array_equal(values, w[-1])


def test_vs_tf_error_messages():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for case in [([S], V, np.array([0, 3], np.int32)),
                 ([S], V, np.array([[0, -1], [1, 2]], np.int64)),
                 ([S], np.float32(1), np.array([0], np.int32)),
                 ([np.array([0, 3, 2, 5], np.int64)], V, np.array([0], np.int32)),
                 ([np.array([0, 2, 6], np.int64)], V, np.array([0], np.int32)),
                 ([np.array([-1, 2, 5], np.int64)], V, np.array([0], np.int32)),
                 ([np.zeros([0], np.int64)], V, np.zeros([0], np.int32))]:
        g = tf1.Graph()
        with g.as_default():
            phs = [tf1.placeholder(tf1.as_dtype(np.asarray(a).dtype)) for a in
                   (case[0][0], case[1], case[2])]
            out = tf1.raw_ops.RaggedGather(params_nested_splits=[phs[0]],
                                           params_dense_values=phs[1], indices=phs[2],
                                           OUTPUT_RAGGED_RANK=np.ndim(case[2]))
            with tf1.Session(graph=g) as sess, \
                    pytest.raises(tf1.errors.InvalidArgumentError) as e:
                sess.run(out, dict(zip(phs, [case[0][0], case[1], case[2]])))
        assert f"{_run_error(*case)}\n" in e.value.message, case  # TF 2.21's says more


def test_vs_tf_gradient():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    splits = [np.array([0, 2, 3], np.int64), S]
    indices = np.array([[1, 0], [1, 1]], np.int32)
    # rows 1, 0, 1, 1 of [[[1, 2], []], [[3, 4, 5]]]: 11 values, [3, 4, 5] three times
    weights = np.arange(11, dtype=np.float64)

    def build(m, gather):
        v = m.constant(V.astype(np.float64) * 1.5)
        values = gather([m.constant(s) for s in splits], v, m.constant(indices))
        y = m.reduce_sum(values * m.constant(weights))
        return m.convert_to_tensor(m.gradients(y, [v])[0])

    def theirs(s, v, i):
        return tf1.raw_ops.RaggedGather(params_nested_splits=s, params_dense_values=v,
                                        indices=i, OUTPUT_RAGGED_RANK=3).output_dense_values

    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        want = sess.run(build(tf1, theirs))
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(build(tf, lambda s, v, i: RAGGED_GATHER(s, v, i, OUTPUT_RAGGED_RANK=3)[-1]))
    np.testing.assert_array_equal(got, want)
    assert want.tolist() == [3.0, 4.0, 0.0 + 5.0 + 8.0, 1.0 + 6.0 + 9.0, 2.0 + 7.0 + 10.0]


def test_graph_defs_cross_both_ways():
    indices = np.array([[2, 0], [1, 2]], np.int32)

    def build(m):
        out = m.raw_ops.RaggedGather(params_nested_splits=[m.constant(S)],
                                     params_dense_values=m.constant(V),
                                     indices=m.constant(indices), OUTPUT_RAGGED_RANK=2) \
            if m is not tf else RAGGED_GATHER([m.constant(S)], m.constant(V),
                                              m.constant(indices), OUTPUT_RAGGED_RANK=2)
        out = list(out) if m is tf else [*out.output_nested_splits, out.output_dense_values]
        for k, t in enumerate(out):
            m.identity(t, name=f"out{k}")

    names = ["out0:0", "out1:0", "out2:0"]
    want = [[0, 2, 4], [0, 3, 5, 5, 8], [3, 4, 5, 1, 2, 3, 4, 5]]
    for got in run_both_ways(build, names):
        assert [g.tolist() for g in got] == want


def test_saved_model_cls_words_sep_runs_as_in_tf(tmp_path):
    """The probe's rg_concat_cls_sep model rebuilt (with its rg_ragged_stack, rg_gather_ragged
    and rg_cross): TF writes the ragged concat along axis 1, stack and gather as RaggedGather,
    cross_hashed as RaggedCross; minitf loads the SavedModel and gives TF's outputs."""
    pytest.importorskip("tensorflow.compat.v1")
    import tensorflow as tf2

    from minitf.export import load_saved_model
    from minitf.raw_ops_outputs import OUTPUTS

    # A function body names outputs by argument ("RaggedGather:output_dense_values:0"): the
    # importer reads the output argument lists from this table.
    assert "RaggedGather" in OUTPUTS and "RaggedCross" in OUTPUTS, \
        "core/raw_ops_outputs.py needs RaggedGather's and RaggedCross's output arguments"

    class Model(tf2.Module):
        @tf2.function(input_signature=[tf2.TensorSpec([None], tf2.string)])
        def f(self, s):
            w = tf2.strings.split(s)
            n = w.nrows()
            tokens = tf2.concat([tf2.fill([n, 1], "[CLS]"), w, tf2.fill([n, 1], "[SEP]")], axis=1)
            stacked = tf2.gather(tf2.ragged.stack([w, w], axis=1).merge_dims(1, 2), [1, 0])
            crossed = tf2.ragged.cross_hashed([w, w], num_buckets=7)  # a RaggedCross
            return {"tokens": tokens.to_tensor(""), "lengths": tokens.row_lengths(),
                    "stacked": stacked.to_tensor(""), "crossed": crossed.to_tensor(-1)}

    m = Model()
    path = str(tmp_path / "cls_sep" / "1")
    tf2.saved_model.save(m, path, signatures=m.f)
    feed = np.array([b"hello big world", b"", b"a b"], object)
    want = {k: v.numpy() for k, v in
            tf2.saved_model.load(path).signatures["serving_default"](s=feed).items()}
    model = load_saved_model(path)
    assert {"RaggedGather", "RaggedCross"} <= {op.type for op in model.graph.get_operations()}
    sig = model.signatures["serving_default"]
    with tf.Session(graph=model.graph) as sess:
        got = sess.run({k: t.name for k, t in sig.outputs.items()}, {sig.inputs["s"].name: feed})
    assert set(got) == set(want)
    for k in want:
        assert got[k].dtype == want[k].dtype and got[k].tolist() == want[k].tolist(), k
    assert got["tokens"][1].tolist() == [b"[CLS]", b"[SEP]", b"", b"", b""]


# -- RaggedCross ----------------------------------------------------------------------------------
def _cross(ragged=(), sparse=(), dense=(), order=None, hashed=False, num_buckets=0, hash_key=0,
           splits_type=np.int64, placeholders=False):
    """RaggedCross run in minitf: its (values, row_splits), or with ``placeholders`` (shapes
    hidden, so the kernel checks) the message of the InvalidArgumentError it raises."""
    from minitf.ops.ragged_gather_ops import RAGGED_CROSS

    order = order or "R" * len(ragged) + "S" * len(sparse) + "D" * len(dense)
    with tf.Graph().as_default():
        feeds = {}

        def t(a):
            a = np.asarray(a)
            if not placeholders:
                return tf.constant(a)
            p = tf.placeholder(tf.as_dtype(a.dtype))
            feeds[p] = a
            return p

        out = RAGGED_CROSS([t(v) for v, _ in ragged], [t(s) for _, s in ragged],
                           [t(i) for i, _, _ in sparse], [t(v) for _, v, _ in sparse],
                           [t(s) for _, _, s in sparse], [t(d) for d in dense],
                           input_order=order, hashed_output=hashed, num_buckets=num_buckets,
                           hash_key=hash_key, out_values_type=tf.int64 if hashed else tf.string,
                           out_row_splits_type=tf.as_dtype(splits_type))
        with tf.Session() as sess:
            if not placeholders:
                return sess.run(out)
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(out, feeds)
    return e.value.message.split("\n")[0]


WORDS = (np.array([b"a", b"bb", b"c"], object), np.array([0, 2, 2, 3], np.int64))
IDS = (np.array([7, 8, 9, 10], np.int64), np.array([0, 1, 1, 4], np.int64))


def test_cross_joins_every_combination_per_row():
    values, splits = _cross([WORDS, IDS])
    assert splits.tolist() == [0, 2, 2, 5]
    assert values.tolist() == [b"a_X_7", b"bb_X_7", b"c_X_8", b"c_X_9", b"c_X_10"]
    # input_order decides the position: dense, then ragged; the last input varies fastest
    values, _ = _cross([WORDS], dense=[np.array([[b"p", b"q"]] * 3, object)], order="DR")
    assert values[:4].tolist() == [b"p_X_a", b"p_X_bb", b"q_X_a", b"q_X_bb"]
    # sparse rows are read in entry order (TF's reader): row 1 empty crosses to nothing
    sparse = (np.array([[0, 0], [2, 0], [2, 1]], np.int64), np.array([1, 2, 3], np.int64),
              np.array([3, 2], np.int64))
    values, splits = _cross([WORDS], [sparse])
    assert values.tolist() == [b"a_X_1", b"bb_X_1", b"c_X_2", b"c_X_3"]
    assert splits.tolist() == [0, 2, 2, 4]


def test_cross_hashed_chains_fingerprints_and_takes_buckets():
    full, splits = _cross([WORDS, IDS], hashed=True, hash_key=5)
    buckets, _ = _cross([WORDS, IDS], hashed=True, hash_key=5, num_buckets=13)
    assert splits.tolist() == [0, 2, 2, 5] and full.dtype == np.int64
    # (full is the uint64 hash modulo 2**63 - 1, so no bucket follows from it alone)
    assert ((buckets >= 0) & (buckets < 13)).all() and buckets.tolist() != full.tolist()
    assert (full >= 0).all() and len(set(full.tolist())) == 5
    assert _cross([WORDS, IDS], hashed=True, hash_key=6)[0].tolist() != full.tolist()


def test_cross_edge_cases():
    # no inputs: no rows; an empty dense input: every row empty
    values, splits = _cross(order="", hashed=True, num_buckets=5)
    assert values.tolist() == [] and splits.tolist() == [0]
    values, splits = _cross(dense=[np.zeros([2, 0], np.int64)])
    assert values.tolist() == [] and splits.tolist() == [0, 0, 0]
    # int32 output splits
    assert _cross([WORDS], splits_type=np.int32)[1].dtype == np.int32


def test_cross_run_time_errors_have_tfs_wording():
    bad = np.array([1, 2, 3], np.int64)
    for splits, message in [
            ([1, 2, 2, 3], "Invalid ragged splits: first element of ragged splits  must be 0 but "
                           "is 1"),
            ([0, 2, 1, 3], "Invalid ragged splits: ragged splits must be monotonically "
                           "increasing, but ragged_splits[2]=1 is smaller than row_splits[1]=2"),
            ([0, 2, 2, 4], "Invalid ragged splits: last element of ragged splits must be the "
                           "number of ragged values(3) but is 4"),
            ([], "Invalid ragged splits: ragged splits must have at least one splits, but is "
                 "empty")]:
        assert _cross([(bad, np.array(splits, np.int64))], placeholders=True) == message
    assert _cross([WORDS], order="RR", placeholders=True) == "Invalid length for input_order"
    assert _cross([WORDS], order="X", placeholders=True) == "Unexpected input_order value."
    assert _cross([WORDS], order="D", placeholders=True) == \
        'input_order "D" specifies reading a dense tensor at index 0 from a list of 0 tensors.'
    assert _cross([WORDS], dense=[np.array([[5], [6]], np.int64)], placeholders=True) == \
        "inputs must all have the same batch dimension size."
    assert _cross(dense=[np.array([5, 6], np.int64)], placeholders=True) == \
        "tf.ragged.cross only supports inputs with rank=2."


def test_cross_graph_construction_errors():
    with pytest.raises(ValueError, match="inputs must all have the same batch dimension size"):
        _cross([WORDS], dense=[np.array([[5], [6]], np.int64)])
    with tf.Graph().as_default():
        from minitf.ops.ragged_gather_ops import RAGGED_CROSS

        with pytest.raises(ValueError, match="`values` and `row_splits` must be the same length"):
            RAGGED_CROSS([tf.constant(WORDS[0])], [], [], [], [], [], input_order="R",
                         hashed_output=False, num_buckets=0, hash_key=0,
                         out_values_type=tf.string, out_row_splits_type=tf.int64)
        values, splits = RAGGED_CROSS([tf.constant(WORDS[0])], [tf.constant(WORDS[1])], [], [],
                                      [], [], input_order="R", hashed_output=False,
                                      num_buckets=0, hash_key=0, out_values_type=tf.string,
                                      out_row_splits_type=tf.int64)
        assert values.shape.as_list() == [None] and splits.shape.as_list() == [4]


def test_vs_tf_cross_random_inputs():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(3)
    batch = 4

    def ragged(strings):
        lengths = rng.integers(0, 3, batch)
        n = int(lengths.sum())
        values = np.array([f"w{k}".encode() for k in rng.integers(0, 50, n)], object) \
            if strings else rng.integers(-2**62, 2**62, n)
        return values, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

    def sparse():
        values, splits = ragged(True)
        rows = np.repeat(np.arange(batch), np.diff(splits))
        cols = np.arange(len(rows)) - splits[rows]
        return (np.stack([rows, cols], 1).astype(np.int64), values,
                np.array([batch, 3], np.int64))

    cases = []
    for _ in range(6):
        r, s = [ragged(bool(rng.integers(2))) for _ in range(2)], [sparse()]
        d = [rng.integers(0, 100, (batch, 2))]
        order = "".join(rng.permutation(list("RRSD")))
        for hashed, nb in ((False, 0), (True, 0), (True, 1000)):
            cases.append(dict(ragged=r, sparse=s, dense=d, order=order, hashed=hashed,
                              num_buckets=nb, hash_key=int(rng.integers(0, 2**40))))

    def theirs(c):
        return tf1.raw_ops.RaggedCross(
            ragged_values=[v for v, _ in c["ragged"]],
            ragged_row_splits=[s for _, s in c["ragged"]],
            sparse_indices=[i for i, _, _ in c["sparse"]],
            sparse_values=[v for _, v, _ in c["sparse"]],
            sparse_shape=[s for _, _, s in c["sparse"]], dense_inputs=c["dense"],
            input_order=c["order"], hashed_output=c["hashed"], num_buckets=c["num_buckets"],
            hash_key=c["hash_key"], out_values_type=tf1.int64 if c["hashed"] else tf1.string,
            out_row_splits_type=tf1.int64)

    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        want = sess.run([list(theirs(c)) for c in cases])
    for c, (w_values, w_splits) in zip(cases, want):
        values, splits = _cross(**c)
        assert splits.tolist() == w_splits.tolist()
        assert values.dtype == w_values.dtype and values.tolist() == w_values.tolist(), c
    assert sum(len(w[0]) for w in want) > 20  # the cases cross something
