"""tf.data as TF1 graph-mode code uses it: datasets, transformations, iterators, errors.
Expectations are computed independently (numpy, hand-written lists)."""

import collections
import gzip
import os

import numpy as np
import pytest

import minitf as tf
import minitf.data
from minitf.tfrecord import encode_record

data = minitf.data


def drain(sess, tensors, feed=None, limit=1000):
    """Every value get_next gives until OutOfRangeError."""
    out = []
    for _ in range(limit):
        try:
            out.append(sess.run(tensors, feed))
        except tf.errors.OutOfRangeError:
            return out
    raise AssertionError("the iterator did not end")


def values_of(dataset, limit=1000):
    nxt = dataset.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        return drain(sess, nxt, limit=limit)


# -- sources --------------------------------------------------------------------------------------
def test_from_tensor_slices_numpy_tuple_and_dict():
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    y = np.array([1, 2, 3], dtype=np.int64)
    got = values_of(data.Dataset.from_tensor_slices((x, y)))
    assert len(got) == 3
    for i, (a, b) in enumerate(got):
        np.testing.assert_array_equal(a, x[i])
        assert b == y[i]
    d = data.Dataset.from_tensor_slices({"a": [1, 2], "b": (["p", "q"], [0.5, 1.5])})
    assert d.output_types == {"a": tf.int32, "b": (tf.string, tf.float32)}
    assert d.output_shapes == {"a": tf.TensorShape([]), "b": (tf.TensorShape([]),
                                                              tf.TensorShape([]))}
    got = values_of(d)
    assert [g["a"] for g in got] == [1, 2]
    assert [g["b"][0] for g in got] == [b"p", b"q"]
    assert [g["b"][1] for g in got] == [0.5, 1.5]


def test_from_tensor_slices_of_a_python_list_is_one_component():
    d = data.Dataset.from_tensor_slices([[1, 2], [3, 4]])
    assert d.output_types == tf.int32 and d.output_shapes == tf.TensorShape([2])
    assert [list(v) for v in values_of(d)] == [[1, 2], [3, 4]]


def test_from_tensors_is_one_element():
    d = data.Dataset.from_tensors((np.zeros((2, 3)), "s"))
    assert d.output_shapes == (tf.TensorShape([2, 3]), tf.TensorShape([]))
    got = values_of(d)
    assert len(got) == 1 and got[0][0].shape == (2, 3) and got[0][1] == b"s"


def test_namedtuple_elements_keep_their_type():
    Pt = collections.namedtuple("Pt", "x y")
    d = data.Dataset.from_tensor_slices(Pt(np.arange(2), np.arange(2) * 10))
    got = values_of(d.map(lambda p: Pt(p.y, p.x)))
    assert got == [Pt(0, 0), Pt(10, 1)]


def test_range_forms():
    assert values_of(data.Dataset.range(4)) == [0, 1, 2, 3]
    assert values_of(data.Dataset.range(2, 5)) == [2, 3, 4]
    assert values_of(data.Dataset.range(10, 0, -4)) == [10, 6, 2]
    assert data.Dataset.range(3).output_types == tf.int64


def test_zip_tuple_and_dict_stop_at_the_shortest():
    a, b = data.Dataset.range(5), data.Dataset.from_tensor_slices(np.array([7.0, 8.0]))
    assert values_of(data.Dataset.zip((a, b))) == [(0, 7.0), (1, 8.0)]
    got = values_of(data.Dataset.zip({"n": a, "v": b}))
    assert got == [{"n": 0, "v": 7.0}, {"n": 1, "v": 8.0}]


def test_from_generator_with_args_and_shapes():
    def gen(n):
        for i in range(int(n)):
            yield i, [float(i)] * 2

    d = data.Dataset.from_generator(gen, (tf.int64, tf.float32), ([], [2]), args=(3,))
    assert d.output_shapes == (tf.TensorShape([]), tf.TensorShape([2]))
    got = values_of(d)
    assert [g[0] for g in got] == [0, 1, 2]
    np.testing.assert_array_equal(got[2][1], [2.0, 2.0])
    assert got[2][1].dtype == np.float32
    assert values_of(data.Dataset.from_generator(lambda: iter("ab"), tf.string)) == [b"a", b"b"]
    # Repeated: the generator is called again for every epoch.
    assert values_of(data.Dataset.from_generator(lambda: iter([1, 2]), tf.int32).repeat(2)) \
        == [1, 2, 1, 2]


def write_records(path, records):
    with open(path, "wb") as f:
        for r in records:
            f.write(encode_record(r))


def test_tfrecord_dataset_reads_files_in_order(tmp_path):
    a, b = str(tmp_path / "a.tfrecord"), str(tmp_path / "b.tfrecord")
    write_records(a, [b"one", b"two"])
    write_records(b, [b"three", b"x" * 5000])
    assert values_of(data.TFRecordDataset([a, b])) == [b"one", b"two", b"three", b"x" * 5000]
    assert data.TFRecordDataset(a).output_shapes == tf.TensorShape([])
    with gzip.open(str(tmp_path / "c.gz"), "wb") as f:
        f.write(encode_record(b"zipped"))
    assert values_of(data.TFRecordDataset(str(tmp_path / "c.gz"), "GZIP")) == [b"zipped"]


def test_tfrecord_dataset_filenames_fed_at_initialisation(tmp_path):
    a = str(tmp_path / "a.tfrecord")
    write_records(a, [b"r1", b"r2"])
    names = tf.placeholder(tf.string, [None])
    it = data.TFRecordDataset(names).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {names: [a, a]})
        assert drain(sess, nxt) == [b"r1", b"r2", b"r1", b"r2"]


def test_tfrecord_dataset_detects_corruption_and_missing_files(tmp_path):
    bad = tmp_path / "bad.tfrecord"
    raw = bytearray(encode_record(b"payload"))
    raw[14] ^= 0xFF  # a data byte: the data CRC no longer matches
    bad.write_bytes(bytes(raw))
    nxt = data.TFRecordDataset(str(bad)).make_one_shot_iterator().get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError, match="corrupt"):
        sess.run(nxt)
    nxt = data.TFRecordDataset(str(tmp_path / "none")).make_one_shot_iterator().get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError, match="none"):
        sess.run(nxt)


def test_text_line_dataset(tmp_path):
    p = tmp_path / "t.txt"
    p.write_bytes(b"alpha\nbeta\r\n\ngamma")
    assert values_of(data.TextLineDataset(str(p))) == [b"alpha", b"beta", b"", b"gamma"]
    assert values_of(data.TextLineDataset(str(p)).skip(1).take(1)) == [b"beta"]


# -- transformations ------------------------------------------------------------------------------
def test_map_with_tf_ops():
    images = np.arange(24, dtype=np.uint8).reshape(3, 8)
    labels = np.array([0, 2, 1], dtype=np.int64)

    def prep(img, label):
        x = tf.reshape(tf.cast(img, tf.float32) / 255.0, [2, 4]) * 2.0 - 1.0
        return x, tf.one_hot(label, 3)

    d = data.Dataset.from_tensor_slices((images, labels)).map(prep, num_parallel_calls=4)
    assert d.output_types == (tf.float32, tf.float32)
    assert d.output_shapes == (tf.TensorShape([2, 4]), tf.TensorShape([3]))
    got = values_of(d)
    for i, (x, y) in enumerate(got):
        np.testing.assert_allclose(x, (images[i].astype(np.float32) / 255 * 2 - 1).reshape(2, 4),
                                   rtol=1e-6)
        np.testing.assert_array_equal(y, np.eye(3)[labels[i]])


def test_map_dict_element_is_one_argument_and_lists_become_tuples():
    d = data.Dataset.from_tensor_slices({"a": np.arange(3), "b": np.arange(3) * 2})
    got = values_of(d.map(lambda e: [e["a"] + e["b"], 7]))
    assert got == [(0, 7), (3, 7), (6, 7)]


def test_map_with_seeded_random_op_is_deterministic_and_restarts_with_the_iterator():
    def build():
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(3)
            d = data.Dataset.range(4).map(
                lambda x: tf.cast(x, tf.float32) + tf.random_uniform([], seed=1))
            it = d.make_initializable_iterator()
            return g, it, it.get_next()

    g, it, nxt = build()
    with tf.Session(graph=g) as sess:
        sess.run(it.initializer)
        first = drain(sess, nxt)
        sess.run(it.initializer)
        again = drain(sess, nxt)
    assert first == again  # the iterator starts its random ops over
    noise = np.array(first) - np.arange(4)
    assert np.all((noise >= 0) & (noise < 1)) and len(set(noise.tolist())) == 4
    g2, it2, nxt2 = build()
    with tf.Session(graph=g2) as sess:
        sess.run(it2.initializer)
        assert drain(sess, nxt2) == first  # same seeds, same numbers


def test_filter():
    d = data.Dataset.range(10).filter(lambda x: tf.equal(x % 3, 0))
    assert values_of(d) == [0, 3, 6, 9]
    d = data.Dataset.from_tensor_slices((np.arange(4), np.array([1.0, -1.0, 2.0, -2.0])))
    assert values_of(d.filter(lambda i, v: v > 0)) == [(0, 1.0), (2, 2.0)]


def test_batch_and_drop_remainder():
    d = data.Dataset.range(7).batch(3)
    assert d.output_shapes == tf.TensorShape([None])
    assert [list(b) for b in values_of(d)] == [[0, 1, 2], [3, 4, 5], [6]]
    d = data.Dataset.range(7).batch(3, drop_remainder=True)
    assert d.output_shapes == tf.TensorShape([3])
    assert [list(b) for b in values_of(d)] == [[0, 1, 2], [3, 4, 5]]
    d = data.Dataset.from_tensor_slices((np.ones((5, 2)), np.arange(5))).batch(2)
    assert d.output_shapes == (tf.TensorShape([None, 2]), tf.TensorShape([None]))
    assert [a.shape for a, _ in values_of(d)] == [(2, 2), (2, 2), (1, 2)]


def test_batch_of_different_shapes_fails_when_run():
    d = data.Dataset.range(1, 3).map(lambda n: tf.fill([n], n)).batch(2)
    nxt = d.make_one_shot_iterator().get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="different shapes in component 0"):
        sess.run(nxt)


def test_padded_batch():
    d = data.Dataset.range(1, 5).map(lambda n: tf.fill([n], n))
    assert d.output_shapes == tf.TensorShape([None])
    p = d.padded_batch(2, padded_shapes=[None])
    assert p.output_shapes == tf.TensorShape([None, None])
    got = values_of(p)
    np.testing.assert_array_equal(got[0], [[1, 0], [2, 2]])
    np.testing.assert_array_equal(got[1], [[3, 3, 3, 0], [4, 4, 4, 4]])
    # Fixed padded size, padding value, default padded_shapes, drop_remainder.
    p = d.padded_batch(3, padded_shapes=[5], padding_values=np.int64(-1), drop_remainder=True)
    assert p.output_shapes == tf.TensorShape([3, 5])
    got = values_of(p)
    assert len(got) == 1
    np.testing.assert_array_equal(got[0], [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1],
                                           [3, 3, 3, -1, -1]])
    got = values_of(d.padded_batch(4))
    np.testing.assert_array_equal(got[0], np.triu(np.ones((4, 4), int)).T * [[1], [2], [3], [4]])
    # Structured elements: a (vector, string) pair.
    s = data.Dataset.zip((d.take(2), data.Dataset.from_tensor_slices(["a", "b", "c", "d"])))
    got = values_of(s.padded_batch(2, padded_shapes=([3], []), padding_values=(np.int64(9), "")))
    np.testing.assert_array_equal(got[0][0], [[1, 9, 9], [2, 2, 9]])
    assert list(got[0][1]) == [b"a", b"b"]
    # A padding value given as a constant tensor, as TF's docs write it.
    got = values_of(d.take(2).padded_batch(2, [2], padding_values=tf.constant(-7, tf.int64)))
    np.testing.assert_array_equal(got[0], [[1, -7], [2, 2]])
    # A non-constant padding value is read when the iterator is initialised, as TF's.
    pad = tf.placeholder(tf.int64, [])
    it = d.take(2).padded_batch(2, [2], padding_values=pad).make_initializable_iterator()
    with tf.Session() as sess:
        sess.run(it.initializer, {pad: 5})
        np.testing.assert_array_equal(sess.run(it.get_next()), [[1, 5], [2, 2]])


def test_padded_batch_to_a_smaller_size_fails_when_run():
    d = data.Dataset.range(1, 5).map(lambda n: tf.fill([n], n)).padded_batch(4, [2])
    nxt = d.make_one_shot_iterator().get_next()
    # TF's kernel reports it as data loss
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError, match="smaller"):
        sess.run(nxt)


def test_shard_list_files_and_the_experimental_helpers(tmp_path):
    assert values_of(data.Dataset.range(10).shard(3, 1)) == [1, 4, 7]
    with pytest.raises(ValueError, match="index must be < num_shards"):
        data.Dataset.range(10).shard(2, 2)
    for i in (3, 0, 2, 1):
        (tmp_path / f"part-{i}.txt").write_text(f"line {i}\n")
    (tmp_path / "other.csv").write_text("x\n")
    pattern = str(tmp_path / "part-*.txt")
    names = [os.path.basename(n.decode())
             for n in values_of(data.Dataset.list_files(pattern, shuffle=False))]
    assert names == ["part-0.txt", "part-1.txt", "part-2.txt", "part-3.txt"]
    # Shuffled by default, every epoch anew, the same given the seed.
    epochs = values_of(data.Dataset.list_files(pattern, seed=7).repeat(3))
    assert sorted(epochs[:4]) == sorted(epochs[4:8]) == sorted(epochs[8:])
    assert epochs == values_of(data.Dataset.list_files(pattern, seed=7).repeat(3))
    lines = data.Dataset.list_files(pattern, shuffle=False).flat_map(data.TextLineDataset)
    assert values_of(lines) == [b"line 0", b"line 1", b"line 2", b"line 3"]
    nxt = data.Dataset.list_files(str(tmp_path / "*.none")).make_one_shot_iterator().get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="No files matched pattern: .*none"):
        sess.run(nxt)
    sr = data.Dataset.range(4).apply(data.experimental.shuffle_and_repeat(4, count=2, seed=1))
    got = values_of(sr)
    assert sorted(got[:4]) == sorted(got[4:]) == [0, 1, 2, 3]
    mb = data.Dataset.range(5).apply(data.experimental.map_and_batch(lambda x: x * 2, 2))
    assert [v.tolist() for v in values_of(mb)] == [[0, 2], [4, 6], [8]]


def test_repeat_take_skip():
    assert values_of(data.Dataset.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert values_of(data.Dataset.range(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert values_of(data.Dataset.range(3).repeat(0)) == []
    assert values_of(data.Dataset.range(0).repeat()) == []  # empty forever is empty
    assert values_of(data.Dataset.range(10).skip(7)) == [7, 8, 9]
    assert values_of(data.Dataset.range(10).skip(-1)) == []
    assert values_of(data.Dataset.range(4).take(-1)) == [0, 1, 2, 3]
    assert values_of(data.Dataset.range(10).take(3).skip(1)) == [1, 2]


def test_shuffle_is_a_permutation_deterministic_given_seeds():
    def orders(seed, graph_seed=None, reshuffle=True, epochs=3):
        g = tf.Graph()
        with g.as_default():
            if graph_seed is not None:
                tf.set_random_seed(graph_seed)
            d = data.Dataset.range(20).shuffle(20, seed=seed,
                                               reshuffle_each_iteration=reshuffle)
            it = d.repeat(epochs).make_initializable_iterator()
            nxt = it.get_next()
            with tf.Session() as sess:
                sess.run(it.initializer)
                got = drain(sess, nxt)
        return [got[i * 20:(i + 1) * 20] for i in range(epochs)]

    a = orders(7)
    assert all(sorted(e) == list(range(20)) for e in a)
    assert a == orders(7)  # the same seeds: the same orders
    assert a[0] != a[1] != a[2]  # reshuffled every epoch
    assert orders(8) != a
    b = orders(7, reshuffle=False)
    assert b[0] == b[1] == b[2] and sorted(b[0]) == list(range(20))
    assert orders(None, graph_seed=5) == orders(None, graph_seed=5)


def test_shuffle_with_small_buffer_keeps_local_order_bounds():
    got = values_of(data.Dataset.range(100).shuffle(5, seed=1))
    assert sorted(got) == list(range(100))
    # An element can only come out once at most buffer_size-1 later ones have entered.
    assert all(v <= i + 4 for i, v in enumerate(got))


def test_prefetch_cache_concatenate_enumerate_apply_unbatch():
    assert values_of(data.Dataset.range(3).prefetch(data.experimental.AUTOTUNE)) == [0, 1, 2]
    cached = data.Dataset.range(3).map(
        lambda x: x + tf.cast(tf.random_uniform([], 0, 100, dtype=tf.int32, seed=4), tf.int64))
    got = values_of(cached.cache().repeat(2))
    assert got[:3] == got[3:]  # the second epoch replays the first
    c = data.Dataset.range(2).concatenate(data.Dataset.range(5, 7))
    assert values_of(c) == [0, 1, 5, 6]
    c = data.Dataset.from_tensors(np.zeros(2)).concatenate(data.Dataset.from_tensors(np.zeros(3)))
    assert c.output_shapes == tf.TensorShape([None])
    e = data.Dataset.from_tensor_slices(["a", "b"]).enumerate(start=5)
    assert e.output_types == (tf.int64, tf.string)
    assert values_of(e) == [(5, b"a"), (6, b"b")]
    assert values_of(data.Dataset.range(5).apply(lambda ds: ds.skip(3))) == [3, 4]
    u = data.Dataset.from_tensor_slices(np.arange(12).reshape(2, 3, 2)).unbatch()
    assert u.output_shapes == tf.TensorShape([2])
    assert [list(v) for v in values_of(u)] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    u = data.Dataset.range(5).batch(2).apply(data.experimental.unbatch())
    assert values_of(u) == [0, 1, 2, 3, 4]


def test_flat_map_and_interleave():
    d = data.Dataset.range(1, 4).flat_map(lambda n: data.Dataset.range(n))
    assert values_of(d) == [0, 0, 1, 0, 1, 2]
    d = data.Dataset.from_tensor_slices(np.arange(6).reshape(3, 2)).flat_map(
        lambda row: data.Dataset.from_tensor_slices(row * 10))
    assert values_of(d) == [0, 10, 20, 30, 40, 50]
    # Two open inner datasets; 2 elements from each in turn; an exhausted one is replaced by
    # the next input's in its place in the cycle (worked by hand: 1 | 2 2 | 3 3 | (2 done) 3 |
    # (3 done) 4 4 | (input done) 4 4).
    d = data.Dataset.range(1, 5).interleave(
        lambda x: data.Dataset.from_tensors(x).repeat(x), cycle_length=2, block_length=2)
    assert values_of(d) == [1, 2, 2, 3, 3, 3, 4, 4, 4, 4]
    # TF's documented example: cycle_length 2, block_length 4, each of 1..5 repeated 6 times.
    d = data.Dataset.range(1, 6).interleave(
        lambda x: data.Dataset.from_tensors(x).repeat(6), cycle_length=2, block_length=4)
    want = [1] * 4 + [2] * 4 + [1] * 2 + [2] * 2 + [3] * 4 + [4] * 4 + [3] * 2 + [4] * 2 + \
        [5] * 4 + [5] * 2
    assert values_of(d) == want


def test_output_properties_and_get_output_functions():
    d = data.Dataset.from_tensor_slices((np.zeros((4, 3), np.float32), np.arange(4))).batch(2)
    assert data.get_output_types(d) == (tf.float32, tf.int64)
    assert data.get_output_shapes(d) == (tf.TensorShape([None, 3]), tf.TensorShape([None]))
    assert data.get_output_classes(d) == (tf.Tensor, tf.Tensor)
    it = d.make_initializable_iterator()
    assert data.get_output_shapes(it) == d.output_shapes
    x, y = it.get_next()
    assert x.shape.as_list() == [None, 3] and y.dtype == tf.int64


# -- iterators ------------------------------------------------------------------------------------
def test_training_loop_until_out_of_range():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(64, 1)).astype(np.float32)
    ys = 3.0 * xs - 1.0
    x_ph = tf.placeholder(tf.float32, [None, 1])
    y_ph = tf.placeholder(tf.float32, [None, 1])
    d = data.Dataset.from_tensor_slices((x_ph, y_ph)).shuffle(64, seed=1).batch(16).repeat(30)
    it = d.make_initializable_iterator()
    x, y = it.get_next()
    w = tf.Variable(tf.zeros([1, 1]))
    b = tf.Variable(tf.zeros([1]))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    steps = 0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(it.initializer, {x_ph: xs, y_ph: ys})
        while True:
            try:
                sess.run(train)
                steps += 1
            except tf.errors.OutOfRangeError:
                break
        with pytest.raises(tf.errors.OutOfRangeError):  # and on every later run
            sess.run(train)
        w_v, b_v = sess.run([w, b])
    assert steps == 4 * 30
    np.testing.assert_allclose(w_v, [[3.0]], atol=1e-3)
    np.testing.assert_allclose(b_v, [-1.0], atol=1e-3)


def test_get_next_shared_by_consumers_in_one_run():
    nxt = data.Dataset.range(3).make_one_shot_iterator().get_next()
    doubled = nxt * 2
    with tf.Session() as sess:
        assert sess.run([nxt, doubled]) == [0, 0]
        assert sess.run([doubled, nxt, nxt + 1]) == [2, 1, 2]
        assert sess.run(nxt) == 2


def test_reinitialise_with_new_feeds():
    n = tf.placeholder(tf.int64, [])
    values = tf.placeholder(tf.float32, [None])
    d = data.Dataset.zip((data.Dataset.from_tensor_slices(values), data.Dataset.range(n)))
    it = d.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {values: [1.0, 2.0, 3.0], n: 10})
        assert sess.run(nxt) == (1.0, 0)
        sess.run(it.initializer, {values: [5.0, 6.0], n: 10})  # restarts mid-way
        assert drain(sess, nxt) == [(5.0, 0), (6.0, 1)]
        sess.run(it.initializer, {values: [5.0, 6.0], n: 1})
        assert drain(sess, nxt) == [(5.0, 0)]
        with pytest.raises(tf.errors.InvalidArgumentError, match="must be fed|placeholder"):
            sess.run(it.initializer)


def test_two_sessions_iterate_independently():
    it = data.Dataset.range(5).make_initializable_iterator()
    nxt = it.get_next()
    one = data.Dataset.range(3).make_one_shot_iterator().get_next()
    with tf.Session() as a, tf.Session() as b:
        a.run(it.initializer)
        b.run(it.initializer)
        assert [a.run(nxt), a.run(nxt), a.run(nxt)] == [0, 1, 2]
        assert b.run(nxt) == 0
        assert a.run(nxt) == 3
        assert [a.run(one), a.run(one), b.run(one)] == [0, 1, 0]


def test_uninitialised_iterator_names_itself():
    it = data.Dataset.range(3).make_initializable_iterator(shared_name="my_iter")
    nxt = it.get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError,
                                             match="'my_iter' has not been initialized"):
        sess.run(nxt)
    with pytest.raises(ValueError, match="initializer"):
        data.Dataset.range(3).make_one_shot_iterator().initializer  # noqa: B018


def test_module_level_iterator_functions_and_graph_ops():
    d = data.Dataset.range(2)
    nxt = data.make_one_shot_iterator(d).get_next()
    it = data.make_initializable_iterator(d)
    nxt2 = it.get_next()
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert {"OneShotIterator", "IteratorV2", "MakeIterator", "IteratorGetNext"} <= types
    assert it.initializer.type == "MakeIterator"
    with tf.Session() as sess:
        sess.run(it.initializer)
        assert drain(sess, nxt) == [0, 1] and drain(sess, nxt2) == [0, 1]


def test_initializer_plan_prunes_to_the_captured_feeds():
    x = tf.placeholder(tf.float32, [None])
    it = data.Dataset.from_tensor_slices(x).make_initializable_iterator()
    assert x in it.initializer.inputs
    nxt = it.get_next()
    other = tf.placeholder(tf.float32, [])
    with tf.Session() as sess:
        sess.run(it.initializer, {x: [4.0]})  # `other` is not needed
        assert sess.run(nxt) == 4.0
    del other


def test_reinitializable_iterator_from_structure():
    train = data.Dataset.range(5).map(lambda x: tf.cast(x, tf.float32)).batch(2)
    valid = data.Dataset.from_tensors(np.array([9.0, 8.0, 7.0], np.float32))
    it = data.Iterator.from_structure(train.output_types, train.output_shapes)
    assert it.output_shapes == tf.TensorShape([None])
    nxt = it.get_next()
    init_train, init_valid = it.make_initializer(train), it.make_initializer(valid)
    with tf.Session() as sess:
        sess.run(init_train)
        assert [list(v) for v in drain(sess, nxt)] == [[0, 1], [2, 3], [4]]
        sess.run(init_valid)
        assert [list(v) for v in drain(sess, nxt)] == [[9, 8, 7]]
    with pytest.raises(TypeError, match="output types"):
        it.make_initializer(data.Dataset.range(3))
    fixed = data.Iterator.from_structure(tf.float32, tf.TensorShape([2]))
    with pytest.raises(TypeError, match="output shapes"):
        fixed.make_initializer(valid)


def test_feedable_iterator_from_string_handle():
    a = data.Dataset.range(100).make_one_shot_iterator()
    b_ds = data.Dataset.range(100, 103)
    b = b_ds.make_initializable_iterator()
    handle = tf.placeholder(tf.string, [])
    it = data.Iterator.from_string_handle(handle, a.output_types, a.output_shapes)
    nxt = it.get_next()
    with tf.Session() as sess:
        ha, hb = sess.run([a.string_handle(), b.string_handle()])
        assert isinstance(ha, bytes) and ha != hb
        sess.run(b.initializer)
        assert [sess.run(nxt, {handle: ha}) for _ in range(2)] == [0, 1]
        assert sess.run(nxt, {handle: hb}) == 100
        assert sess.run(nxt, {handle: ha}) == 2
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not name"):
            sess.run(nxt, {handle: b"nonsense"})
    wrong = data.Iterator.from_string_handle(handle, tf.float32, tf.TensorShape([]))
    with tf.Session() as sess:
        h = sess.run(a.string_handle())
        with pytest.raises(tf.errors.InvalidArgumentError, match="types"):
            sess.run(wrong.get_next(), {handle: h})


def test_get_next_is_not_differentiable():
    x = tf.placeholder(tf.float32, [None])
    nxt = data.Dataset.from_tensor_slices(x).make_initializable_iterator().get_next()
    v = tf.Variable(2.0)
    assert tf.gradients(nxt * v, [v])[0] is not None
    assert tf.gradients(nxt * v, [nxt])[0] is not None


# -- errors ---------------------------------------------------------------------------------------
def test_build_time_errors():
    with pytest.raises(ValueError, match="same size in their first dimension.*3.*4"):
        data.Dataset.from_tensor_slices((np.arange(3), np.arange(4)))
    with pytest.raises(ValueError, match="scalar"):
        data.Dataset.from_tensor_slices(5)
    with pytest.raises(ValueError, match="batch_size"):
        data.Dataset.range(3).batch(0)
    with pytest.raises(ValueError, match="batch_size"):
        data.Dataset.range(3).padded_batch(-2)
    with pytest.raises(ValueError, match="buffer_size"):
        data.Dataset.range(3).shuffle(0)
    with pytest.raises(ValueError, match="step"):
        data.Dataset.range(0, 5, 0)
    with pytest.raises(ValueError, match="scalar tf.bool"):
        data.Dataset.range(3).filter(lambda x: x)
    with pytest.raises(ValueError, match="scalar tf.bool"):
        data.Dataset.range(3).filter(lambda x: tf.fill([2], True))
    with pytest.raises(TypeError, match="must return tensors.*None"):
        data.Dataset.range(3).map(lambda x: None)
    with pytest.raises(TypeError, match="must return tensors.*object"):
        data.Dataset.range(3).map(lambda x: object())
    with pytest.raises(TypeError, match="must return a Dataset"):
        data.Dataset.range(3).flat_map(lambda x: x)
    with pytest.raises(TypeError, match="Incompatible dataset elements"):
        data.Dataset.range(3).concatenate(data.Dataset.from_tensors(1.0))
    with pytest.raises(TypeError, match="must return a Dataset"):
        data.Dataset.range(3).apply(lambda d: 3)
    with pytest.raises(ValueError, match="padded shape"):
        data.Dataset.from_tensors(np.zeros((2, 3))).padded_batch(2, padded_shapes=[4])
    with pytest.raises(RuntimeError, match="eager"):
        iter(data.Dataset.range(3))


def test_functions_capture_graph_tensors_by_value_at_initialisation():
    """A map/filter/flat_map function may read the user graph's tensors (a placeholder, a
    variable, a lookup table, as TF's NMT tutorial does): their values are taken when the
    iterator's initializer runs (expected values worked by hand; TF 2.21's compat.v1 gives
    the same)."""
    table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        ["the", "cat"], tf.constant([0, 1], tf.int64)), default_value=-1)
    scale = tf.placeholder(tf.int64, [], name="scale")
    v = tf.Variable(np.int64(7), name="v")
    ds = data.Dataset.from_tensor_slices(["the cat", "cat dog"]).map(
        lambda line: table.lookup(tf.string_split([line]).values) * scale + 100 + v)
    ds = ds.filter(lambda ids: tf.reduce_sum(ids) > scale)
    nested = data.Dataset.range(2).flat_map(
        lambda i: data.Dataset.from_tensors(i * scale).map(lambda j: (j + scale, scale)))
    it, it2 = ds.make_initializable_iterator(), nested.make_initializable_iterator()
    nx, nx2 = it.get_next(), it2.get_next()
    assert nx.dtype == tf.int64 and nx.shape.as_list() == [None]
    with tf.Session() as sess:
        sess.run([tf.tables_initializer(), tf.global_variables_initializer()])
        sess.run([it.initializer, it2.initializer], {scale: 10})
        # "the cat" -> [0, 1] * 10 + 107; "cat dog" -> [1, -1] * 10 + 107
        assert sess.run(nx).tolist() == [107, 117] and sess.run(nx).tolist() == [117, 97]
        assert [sess.run(nx2) for _ in range(2)] == [(10, 10), (20, 10)]
        sess.run(v.assign(1000))
        sess.run(it.initializer, {scale: 1})  # new values at the next initialisation
        assert sess.run(nx).tolist() == [1100, 1101]
        with pytest.raises(tf.errors.InvalidArgumentError, match="must feed a value for "
                                                                 "placeholder tensor 'scale'"):
            sess.run(it.initializer)
    with pytest.raises(ValueError, match=r"Cannot capture a placeholder \(name:scale"):
        ds.make_one_shot_iterator()
    # returning an outer tensor itself captures it too
    same = data.Dataset.range(2).map(lambda x: (x, scale)).make_initializable_iterator()
    with tf.Session() as sess:
        sess.run(same.initializer, {scale: 5})
        assert sess.run(same.get_next()) == (0, 5)


def test_map_function_cannot_assign_a_graph_variable():
    v = tf.Variable(np.int64(1))
    with pytest.raises(ValueError, match="cannot change that graph's variables"):
        data.Dataset.range(3).map(lambda x: tf.assign(v, x))


def test_one_shot_iterator_refuses_placeholders():
    p = tf.placeholder(tf.int64, [None])
    with pytest.raises(ValueError, match=r"Cannot capture a placeholder \(name:Placeholder"):
        data.Dataset.from_tensor_slices(p).make_one_shot_iterator()
    c = tf.constant([4, 5])  # constants are copied by value
    assert values_of(data.Dataset.from_tensor_slices(c)) == [4, 5]


def test_from_generator_element_errors():
    cases = [
        (lambda: iter([1, "x"]), tf.int64, None, r"could not be converted.*int64.*was x\."),
        (lambda: iter([[1], [2, 3]]), tf.int64, [1], r"shape \(2,\) where an element of shape"),
        (lambda: iter([(1, 2, 3)]), (tf.int64, tf.int64), None, "did not match the expected"),
    ]
    for gen, types, shapes, message in cases:
        nxt = data.Dataset.from_generator(gen, types, shapes).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            if message.startswith("shape"):
                sess.run(nxt)
            with pytest.raises(tf.errors.InvalidArgumentError, match=message):
                drain(sess, nxt)
    with pytest.raises(TypeError, match="callable"):
        data.Dataset.from_generator([1, 2], tf.int64)


@pytest.mark.parametrize("raised, reported", [
    (RuntimeError("corrupt annotation"), tf.errors.UnknownError),
    (KeyError("boxes"), tf.errors.UnknownError),
    (ValueError("bad value"), tf.errors.InvalidArgumentError),
    (NotImplementedError("later"), tf.errors.UnimplementedError),
])
def test_an_exception_from_the_generator_gets_py_funcs_code(raised, reported):
    def gen():
        yield 1.0
        raise raised

    nxt = data.Dataset.from_generator(gen, tf.float32).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == 1.0
        with pytest.raises(reported, match=type(raised).__name__) as info:
            sess.run(nxt)
    assert type(info.value) is reported  # not a subclass: TF's exact code


def test_fed_slices_of_different_lengths_fail_at_initialisation():
    a = tf.placeholder(tf.int64, [None])
    b = tf.placeholder(tf.int64, [None])
    it = data.Dataset.from_tensor_slices((a, b)).make_initializable_iterator()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="same size"):
        sess.run(it.initializer, {a: [1, 2], b: [1]})
        sess.run(it.get_next())


def test_tensor_arguments_batch_size_and_count():
    n = tf.placeholder(tf.int64, [])
    m = tf.placeholder(tf.int64, [])
    it = data.Dataset.range(10).batch(n).take(m).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {n: 3, m: 3})
        assert [list(v) for v in drain(sess, nxt)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
        sess.run(it.initializer, {n: 4, m: -1})
        assert [list(v) for v in drain(sess, nxt)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        sess.run(it.initializer, {n: 0, m: 1})
        with pytest.raises(tf.errors.InvalidArgumentError, match="batch_size"):
            sess.run(nxt)


def test_fetched_elements_do_not_alias_the_source():
    src = np.arange(6.0).reshape(3, 2)
    nxt = data.Dataset.from_tensor_slices(src).make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        row = sess.run(nxt)
        row[0] = 100.0
    assert src[0, 0] == 0.0


_TF_SCRIPT = """
import numpy as np
import minitf
import minitf.data
import tensorflow.compat.v1 as tf1
tf1.disable_eager_execution()

def run(lib, build):
    g = lib.Graph()
    with g.as_default():
        nxt = lib.data.make_one_shot_iterator(build(lib)).get_next()
        with lib.Session() as sess:
            out = []
            while True:
                try:
                    out.append(sess.run(nxt))
                except lib.errors.OutOfRangeError:
                    return out

pipelines = [
    lambda L: L.data.Dataset.range(1, 5).interleave(
        lambda x: L.data.Dataset.from_tensors(x).repeat(x), cycle_length=3, block_length=2),
    lambda L: L.data.Dataset.range(1, 6).map(lambda n: L.fill([n], n)).padded_batch(2),
    lambda L: L.data.Dataset.range(10).filter(lambda x: x % 2 > 0).batch(3).unbatch(),
    lambda L: L.data.Dataset.range(10).skip(2).take(5).repeat(2).batch(4, True),
    lambda L: L.data.Dataset.from_tensor_slices({"a": np.arange(4.0), "b": [[1, 2]] * 4}).map(
        lambda e: (e["a"] * 2, L.reduce_sum(e["b"]))).batch(3),
]
for build in pipelines:
    ours, theirs = run(minitf, build), run(tf1, build)
    assert len(ours) == len(theirs), (ours, theirs)
    for a, b in zip(ours, theirs):
        for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
            np.testing.assert_array_equal(x, y)
    print("OK")
"""


def test_tensorflow_agrees_where_available():
    """The same pipelines through tf.compat.v1, in a process of its own (TF's graph mode is
    process-wide); skipped without TensorFlow."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow")
    done = subprocess.run([sys.executable, "-c", _TF_SCRIPT], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("OK") == 5, done.stdout


def test_graphs_with_datasets_are_freed():
    """The dataset table must not keep graphs alive: a dataset's captured placeholder refers
    back to its graph, so a table keyed by graph would never let one go."""
    import gc
    import weakref

    from minitf.ops import iterator_ops

    refs, tokens = [], []
    for _ in range(3):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None])
            it = data.Dataset.from_tensor_slices(x).batch(2).make_initializable_iterator()
            nxt = it.get_next()
            tokens.append(it.initializer.get_attr("dataset"))
            with tf.Session() as sess:
                sess.run(it.initializer, {x: [1.0, 2.0, 3.0]})
                assert sess.run(nxt).tolist() == [1.0, 2.0]
        refs.append(weakref.ref(g))
        del g, x, it, nxt, sess
    gc.collect()
    assert [r() for r in refs] == [None, None, None]
    assert not any(tok in iterator_ops._DATASETS for tok in tokens)  # and the table's entries



def test_tables_made_inside_a_function_are_filled():
    """A lookup table created in a map function (a feature column applied in map, say) is
    initialised with the function, as TF runs it (it used to stay empty: "Table not
    initialized"); so is one in a feature column's input_layer."""
    def lookup(x):
        table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            ["a", "b"], tf.constant([1, 2], tf.int64)), -1)
        return table.lookup(x)

    ds = data.Dataset.from_tensor_slices(["a", "b", "c"]).map(lookup).batch(3)
    [got] = values_of(ds)
    np.testing.assert_array_equal(got, [1, 2, -1])
    column = tf.feature_column.indicator_column(
        tf.feature_column.categorical_column_with_vocabulary_list("w", ["x", "y"]))
    dense = data.Dataset.from_tensor_slices({"w": [["y"], ["x"], ["z"]]}).batch(3).map(
        lambda d: tf.feature_column.input_layer(d, [column]))
    np.testing.assert_array_equal(values_of(dense)[0], [[0, 1], [1, 0], [0, 0]])


def test_a_captured_variable_is_read_when_the_iterator_starts():
    """By value at initialisation, as TF: assigning the variable mid-epoch changes nothing
    until the next initialisation (the iterator used to read the variable's live buffer)."""
    v = tf.Variable(np.int64(2))
    it = data.Dataset.range(10).filter(lambda x: x > v).make_initializable_iterator()
    nx = it.get_next()
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(it.initializer)
        first = sess.run(nx)
        sess.run(v.assign(7))
        assert (first, sess.run(nx)) == (3, 4)
        sess.run(it.initializer)
        assert sess.run(nx) == 8
