"""A tf.data element that fails (a map or filter function raising, a record that does not
parse, a corrupt image or record file) fails the get_next of that element only: the next
get_next goes on with the following element, as in TensorFlow. Each stage treats a failed
input element as TF's does (batch loses its batch, skip starts over, zip stays aligned,
cache leaves it out, ...).

The expected sequences are written by hand from TF 2.21's (tf.compat.v1 graph mode) output;
the last test runs the same pipelines in TensorFlow, side by side, where it is installed.
"""

import json
import os

import pytest

import minitf
from .legacy_tf import tf_side_json

# The pipelines, as a program that runs under either library (``tf``): in this process with
# minitf, and in a process of its own with tf.compat.v1 (printing its results as JSON).
PROGRAM = r'''
import json
import os
import sys
import tempfile

import numpy as np

CASES = {}


def case(f):
    CASES[f.__name__] = f
    return f


def plain(v):
    if isinstance(v, tuple):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in sorted(v.items())}
    v = v.tolist() if hasattr(v, "tolist") else v
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v


def drain(tf, nxt, limit=20, sess=None):
    """Each get_next's value, or "E:<error class>" for one that failed; "end" at the end."""
    sess = sess or tf.Session()
    out = []
    for _ in range(limit):
        try:
            out.append(plain(sess.run(nxt)))
        except tf.errors.OutOfRangeError:
            out.append("end")
            break
        except tf.errors.OpError as e:
            out.append("E:" + type(e).__name__)
    return out


def bad(tf, *ks):
    """x unchanged, but failing (InvalidArgumentError) for x in ks."""
    def f(x):
        p = tf.constant(1.0)
        for k in ks:
            p = p * (tf.cast(x, tf.float32) - float(k))
        return x + tf.cast(0.0 * tf.check_numerics(1.0 / p, "bad"), x.dtype)
    return f


def failing_range(tf, n, *ks):
    return tf.data.Dataset.range(n).map(bad(tf, *ks))


def one_shot(tf, ds, limit=20):
    return drain(tf, tf.data.make_one_shot_iterator(ds).get_next(), limit)


def shape_of(out):
    """A shuffled sequence: where the errors fall, and the values given, sorted."""
    return ([x if isinstance(x, str) else "#" for x in out],
            sorted(x for x in out if not isinstance(x, str)))


@case
def map_to_number(tf, tmp):
    ds = tf.data.Dataset.from_tensor_slices(["1", "x", "3"]).map(tf.strings.to_number)
    return one_shot(tf, ds)


@case
def filter_predicate(tf, tmp):
    return one_shot(tf, tf.data.Dataset.range(5).filter(lambda i: bad(tf, 2)(i) >= 0))


@case
def repeat(tf, tmp):
    return one_shot(tf, failing_range(tf, 4, 1).repeat(2))


@case
def repeat_forever(tf, tmp):
    return [one_shot(tf, failing_range(tf, 2, 0).repeat(), limit=5),
            one_shot(tf, failing_range(tf, 1, 0).repeat(), limit=5)]


@case
def prefetch(tf, tmp):
    return one_shot(tf, failing_range(tf, 4, 1).prefetch(2))


@case
def batch(tf, tmp):
    options = tf.data.Options()
    options.experimental_optimization.map_and_batch_fusion = False
    return [one_shot(tf, failing_range(tf, 7, 1).batch(3)),
            one_shot(tf, failing_range(tf, 7, 1).batch(3, drop_remainder=True)),
            one_shot(tf, failing_range(tf, 7, 1).prefetch(1).batch(3)),
            one_shot(tf, failing_range(tf, 7, 1).batch(3).with_options(options)),
            one_shot(tf, failing_range(tf, 7, 6).batch(3, drop_remainder=True)),
            one_shot(tf, failing_range(tf, 8, 4).padded_batch(3, [])),
            one_shot(tf, tf.data.Dataset.from_tensor_slices(np.array([1, 2, 2, 3], np.int64))
                     .map(lambda i: tf.fill([i], i)).batch(2))]


@case
def shuffle(tf, tmp):
    return [shape_of(one_shot(tf, failing_range(tf, 8, 2, 5).shuffle(3, seed=1))),
            shape_of(one_shot(tf, failing_range(tf, 5, 1).shuffle(10, seed=1)))]


@case
def interleave(tf, tmp):
    D = tf.data.Dataset
    return [one_shot(tf, D.range(3).interleave(
                lambda x: D.range(x * 10, x * 10 + 4).map(bad(tf, 11, 20)), cycle_length=2,
                block_length=2)),
            one_shot(tf, failing_range(tf, 4, 1).interleave(
                lambda x: D.range(x * 10, x * 10 + 2), cycle_length=2, block_length=1)),
            one_shot(tf, D.range(4).interleave(
                lambda x: D.from_tensors(bad(tf, 1)(x)).repeat(2), cycle_length=2)),
            one_shot(tf, D.range(3).flat_map(lambda x: D.range(x * 10, x * 10 + 3).map(
                bad(tf, 11))))]


@case
def zip_and_enumerate(tf, tmp):
    D = tf.data.Dataset
    return [one_shot(tf, D.zip((failing_range(tf, 4, 1), D.range(10, 14)))),
            one_shot(tf, D.zip((failing_range(tf, 4, 1), failing_range(tf, 4, 2)))),
            one_shot(tf, failing_range(tf, 4, 1).enumerate())]


@case
def take_skip_shard(tf, tmp):
    return [one_shot(tf, failing_range(tf, 6, 1).take(3)),
            one_shot(tf, failing_range(tf, 6, 1).skip(2)),
            one_shot(tf, failing_range(tf, 8, 1, 3).skip(3)),
            one_shot(tf, failing_range(tf, 6, 1).shard(2, 0))]


@case
def cache(tf, tmp):
    path = os.path.join(tmp, "cache")
    first = one_shot(tf, failing_range(tf, 4, 1).cache(path))
    with tf.Graph().as_default():
        second = one_shot(tf, failing_range(tf, 4, 1).cache(path))
    return [one_shot(tf, failing_range(tf, 4, 1).cache().repeat(2)), first, second]


@case
def unbatch_and_window(tf, tmp):
    D = tf.data.Dataset
    return [one_shot(tf, D.range(3).map(lambda i: (tf.fill([i + 1], i), tf.fill([2], i)))
                     .unbatch()),
            one_shot(tf, failing_range(tf, 7, 2).window(3).flat_map(lambda w: w.batch(3))),
            one_shot(tf, failing_range(tf, 7, 2).window(3, shift=1, drop_remainder=True)
                     .flat_map(lambda w: w.batch(3))),
            one_shot(tf, failing_range(tf, 9, 1).window(3, shift=3, stride=2)
                     .flat_map(lambda w: w.batch(3)))]


@case
def experimental(tf, tmp):
    D, E = tf.data.Dataset, tf.data.experimental
    reducer = E.Reducer(lambda k: tf.constant(0, tf.int64), lambda s, x: s + x, lambda s: s)
    choices = D.from_tensor_slices(np.array([0, 1, 0, 1, 0, 1], np.int64))
    return [
        one_shot(tf, D.range(5).apply(E.scan(tf.constant(0, tf.int64),
                                             lambda s, x: (s + bad(tf, 2)(x), s + x)))),
        one_shot(tf, D.range(6).apply(E.take_while(lambda x: bad(tf, 2)(x) < 4))),
        one_shot(tf, D.from_tensor_slices(np.array([1, 1, 2, 3, 3], np.int64)).map(
            bad(tf, 2)).apply(E.unique())),
        one_shot(tf, D.range(8).apply(E.group_by_window(lambda x: bad(tf, 3)(x) % 2,
                                                        lambda k, w: w.batch(4), 2))),
        one_shot(tf, failing_range(tf, 8, 3).apply(E.group_by_reducer(lambda x: x % 2,
                                                                      reducer))),
        one_shot(tf, E.choose_from_datasets([failing_range(tf, 3, 1), D.range(10, 13)],
                                            choices)),
        one_shot(tf, failing_range(tf, 4, 1).apply(E.assert_cardinality(3))),
        one_shot(tf, failing_range(tf, 4, 1).apply(E.assert_cardinality(4)), limit=6),
        [x if isinstance(x, str) else x[2] for x in one_shot(tf, failing_range(tf, 5, 0).map(
            lambda i: tf.fill([i], i)).apply(E.dense_to_sparse_batch(2, [None])))],
        one_shot(tf, failing_range(tf, 7, 1).apply(E.map_and_batch(lambda x: x, 3)))]


@case
def ignore_errors(tf, tmp):
    E = tf.data.experimental
    return [one_shot(tf, failing_range(tf, 5, 1, 3).apply(E.ignore_errors())),
            one_shot(tf, failing_range(tf, 7, 1).batch(3).apply(E.ignore_errors())),
            one_shot(tf, tf.data.Dataset.zip((failing_range(tf, 4, 1),
                                              tf.data.Dataset.range(10, 14))).apply(
                E.ignore_errors()))]


@case
def generators(tf, tmp):
    def raising():
        yield 1.0
        raise ValueError("bad record")

    def unconvertible():
        yield 1.0
        yield "abc"
        yield 3.0
    D = tf.data.Dataset
    return [one_shot(tf, D.from_generator(raising, tf.float32)),
            one_shot(tf, D.from_generator(unconvertible, tf.float32))]


@case
def initializable(tf, tmp):
    x = tf.placeholder(tf.float32, [None])
    it = tf.data.Dataset.from_tensor_slices(x).map(
        lambda v: tf.check_numerics(v, "v")).make_initializable_iterator()
    nxt = it.get_next()
    sess = tf.Session()
    sess.run(it.initializer, {x: [1.0, np.nan, 3.0]})
    first = drain(tf, nxt, sess=sess)
    sess.run(it.initializer, {x: [4.0, np.nan]})
    return [first, drain(tf, nxt, sess=sess)]


@case
def optional_and_reduce(tf, tmp):
    optional = tf.data.experimental.get_next_as_optional(
        tf.data.make_one_shot_iterator(failing_range(tf, 3, 1)))
    has_value = optional.has_value()
    total = failing_range(tf, 4, 1).reduce(tf.constant(0, tf.int64), lambda s, x: s + x)
    sess = tf.Session()
    out = []
    for fetch in [has_value] * 5 + [total]:
        try:
            out.append(plain(sess.run(fetch)))
        except tf.errors.OpError as e:
            out.append("E:" + type(e).__name__)
    return out


def records(tf, path, values):
    with tf.python_io.TFRecordWriter(path) as writer:
        for v in values:
            example = tf.train.Example()
            if v is not None:
                example.features.feature["x"].float_list.value.append(v)
            writer.write(example.SerializeToString())
    return path


@case
def files(tf, tmp):
    def parse(record):
        return tf.parse_single_example(record, {"x": tf.FixedLenFeature([], tf.float32)})["x"]
    missing = records(tf, os.path.join(tmp, "missing.tfrecord"), [1.0, None, 3.0])
    a = records(tf, os.path.join(tmp, "a.tfrecord"), [1.0, 2.0])
    b = records(tf, os.path.join(tmp, "b.tfrecord"), [3.0, 4.0, 5.0])
    c = records(tf, os.path.join(tmp, "c.tfrecord"), [6.0])
    data = bytearray(open(b, "rb").read())
    data[len(data) // 3 + 20] ^= 0xFF  # the second record's payload: its CRC fails
    open(b, "wb").write(bytes(data))
    with tf.Session() as sess:
        png = sess.run(tf.image.encode_png(tf.zeros([2, 2, 1], tf.uint8)))
    images = []
    for i, content in enumerate([png, b"junk", png]):
        images.append(os.path.join(tmp, f"img{i}.png"))
        open(images[-1], "wb").write(content)
    decoded = tf.data.Dataset.from_tensor_slices(images).map(
        lambda f: tf.image.decode_png(tf.read_file(f)))
    return [one_shot(tf, tf.data.TFRecordDataset(missing).map(parse)),
            one_shot(tf, tf.data.TFRecordDataset([a, b, c]).map(parse)),
            one_shot(tf, tf.data.TFRecordDataset([a, b, a], num_parallel_reads=2).map(parse)),
            [x if isinstance(x, str) else len(x) for x in one_shot(tf, decoded)]]


def run_all(tf, tmp):
    out = {}
    for name, f in CASES.items():
        with tf.Graph().as_default():
            out[name] = f(tf, tmp)
    return out


if __name__ == "__main__":
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    print(json.dumps(run_all(tf, tempfile.mkdtemp())))
'''

E = "E:InvalidArgumentError"

EXPECTED = {
    "map_to_number": [1.0, E, 3.0, "end"],
    "filter_predicate": [0, 1, E, 3, 4, "end"],
    "repeat": [0, E, 2, 3, 0, E, 2, 3, "end"],
    # an epoch of failed elements only ends a repeat, as an empty one does
    "repeat_forever": [[E, 1, E, 1, E], [E, "end"]],
    "prefetch": [0, E, 2, 3, "end"],
    "batch": [
        [E, [3, 4, 5], [6], "end"],  # map then batch (fused): the whole batch is read
        [E, [3, 4, 5], "end"],
        [E, [2, 3, 4], [5, 6], "end"],  # not fused: the batch stops at the failed element
        [E, [2, 3, 4], [5, 6], "end"],
        [[0, 1, 2], [3, 4, 5], E, "end"],
        [[0, 1, 2], E, [5, 6, 7], "end"],
        [E, E, "end"],  # the elements of a batch do not stack
    ],
    "shuffle": [
        [[E, "#", "#", E, "#", "#", "#", "#", "end"], [0, 1, 3, 4, 6, 7]],
        [[E, "#", "#", "#", "#", "end"], [0, 2, 3, 4]],
    ],
    "interleave": [
        [0, 1, 10, E, 12, 2, 3, 13, E, 21, 22, 23, "end"],
        [0, E, 20, 1, 21, 30, 31, "end"],
        [0, E, 2, 0, 2, 3, 3, "end"],
        [0, 1, 2, 10, E, 12, 20, 21, 22, "end"],
    ],
    "zip_and_enumerate": [
        [[0, 10], E, [2, 12], [3, 13], "end"],
        [[0, 0], E, E, [3, 3], "end"],
        [[0, 0], E, [2, 2], [3, 3], "end"],
    ],
    "take_skip_shard": [
        [0, E, 2, 3, "end"],
        [E, 4, 5, "end"],  # skip starts over after a failed element
        [E, E, 7, "end"],
        [0, E, 3, 5, "end"],
    ],
    "cache": [
        [0, E, 2, 3, 0, 2, 3, "end"],  # the replay leaves the failed element out
        [0, E, 2, 3, "end"],
        [0, 2, 3, "end"],
    ],
    "unbatch_and_window": [
        [E, [1, 1], [1, 1], E, "end"],
        [E, [3, 4, 5], [6], "end"],
        [E, E, E, [3, 4, 5], [4, 5, 6], "end"],
        [[0, 2, 4], [3, 5, 7], [6, 8], "end"],
    ],
    "experimental": [
        [0, 1, E, 4, 8, "end"],  # scan: the state stays as it was
        [0, 1, E, 3, "end"],
        [1, E, 3, "end"],
        [[0, 2], E, [1, 5], [4, 6], [7], "end"],
        [E, 12, 13, "end"],
        [0, 10, E, 11, 2, 12, "end"],
        [0, E, 2, 3, "end"],
        [0, E, 2, 3] + ["E:FailedPreconditionError"] * 2,  # failed elements are not counted
        [E, [2, 2], [2, 4], "end"],
        [E, [3, 4, 5], [6], "end"],
    ],
    "ignore_errors": [[0, 2, 4, "end"], [[3, 4, 5], [6], "end"],
                      [[0, 10], [2, 12], [3, 13], "end"]],
    # a generator that raises has ended; a value that does not convert fails alone
    "generators": [[1.0, E, "end"], [1.0, E, 3.0, "end"]],
    "initializable": [[1.0, E, 3.0, "end"], [4.0, E, "end"]],
    "optional_and_reduce": [True, E, True, False, False, E],
    "files": [
        [1.0, E, 3.0, "end"],  # a record without the feature
        [1.0, 2.0, 3.0, "E:DataLossError", 6.0, "end"],  # a corrupt file: on to the next
        [1.0, 3.0, 2.0, "E:DataLossError", 1.0, 2.0, "end"],
        [2, E, 2, "end"],  # a corrupt PNG
    ],
}


@pytest.fixture(scope="module")
def minitf_results(tmp_path_factory):
    namespace = {"__name__": "element_error_cases"}
    exec(compile(PROGRAM, "element_error_cases", "exec"), namespace)  # noqa: S102
    out = namespace["run_all"](minitf, str(tmp_path_factory.mktemp("element_errors")))
    return json.loads(json.dumps(out))  # tuples as lists, as TF's side gives them


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_failed_element_fails_only_its_get_next(minitf_results, name):
    assert minitf_results[name] == EXPECTED[name]


def test_cache_file_keeps_the_elements_that_did_not_fail(tmp_path):
    """The cache file is written (no lockfile left) without the failed element."""
    with minitf.Graph().as_default():
        ds = minitf.data.Dataset.range(4).map(
            lambda x: x + minitf.cast(0.0 * minitf.check_numerics(
                1.0 / (minitf.cast(x, minitf.float32) - 1.0), "bad"), minitf.int64))
        path = str(tmp_path / "c")
        nxt = ds.cache(path).make_one_shot_iterator().get_next()
        with minitf.Session() as sess:
            got = [int(sess.run(nxt)) for _ in range(1)]
            with pytest.raises(minitf.errors.InvalidArgumentError):
                sess.run(nxt)
            got += [int(sess.run(nxt)) for _ in range(2)]
            with pytest.raises(minitf.errors.OutOfRangeError):
                sess.run(nxt)
    assert got == [0, 2, 3]
    assert sorted(os.listdir(tmp_path)) == ["c.data-00000-of-00001", "c.index"]


def test_the_same_as_tensorflow(minitf_results):
    theirs = tf_side_json(PROGRAM, legacy_keras=False)
    assert sorted(theirs) == sorted(minitf_results)
    for name in sorted(theirs):
        assert minitf_results[name] == theirs[name], name
