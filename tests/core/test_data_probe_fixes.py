"""tf.data differences from TF 1.x a second probe confirmed (probe p6), fixed: TF-free tests
with hand-computed expected values, then the same pipelines side by side with
tf.compat.v1 (skipped where TensorFlow is not installed)."""

import collections
import gzip

import numpy as np
import pytest

import minitf as tf

D = tf.data.Dataset
E = tf.data.experimental


def _drain(lib, build, limit=20):
    """Every element (as nested lists) ``build(lib)``'s dataset gives, then "END" or the
    error class that stopped it; built in a Graph of its own."""
    with lib.Graph().as_default() as graph:
        nxt = lib.data.make_one_shot_iterator(build(lib)).get_next()
        out = []
        with lib.Session(graph=graph) as sess:
            for _ in range(limit):
                try:
                    value = sess.run(nxt)
                except lib.errors.OutOfRangeError:
                    out.append("END")
                    break
                except lib.errors.OpError as e:
                    out.append(type(e).__name__)
                    break
                out.append(_plain(value))
    return out


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return np.asarray(value).tolist()


def _tf1():
    return pytest.importorskip("tensorflow.compat.v1")


# -- 1. choose_from_datasets ---------------------------------------------------------------------
def _choose(lib):
    return lib.data.experimental.choose_from_datasets(
        [lib.data.Dataset.range(1), lib.data.Dataset.range(10, 12)],
        lib.data.Dataset.from_tensor_slices(lib.constant([0, 0, 1, 1], lib.int64)))


def test_choose_from_datasets_skips_an_exhausted_dataset_by_default():
    # choice 0 twice, but dataset 0 has one element: the second 0 is skipped, not the end.
    assert _drain(tf, _choose) == [0, 10, 11, "END"]


def test_choose_from_datasets_stop_on_empty_when_asked():
    ds = E.choose_from_datasets([D.range(1), D.range(10, 12)],
                                D.from_tensor_slices(tf.constant([0, 0, 1], tf.int64)),
                                stop_on_empty_dataset=True)
    assert _drain(tf, lambda lib: ds) == [0, "END"]


def test_choose_from_datasets_vs_tf():
    assert _drain(tf, _choose) == _drain(_tf1(), _choose)


# -- 2. negative counts --------------------------------------------------------------------------
@pytest.mark.parametrize("method,count,expected", [
    ("take", -2, [0, 1, 2, "END"]), ("take", -7, [0, 1, 2, "END"]),
    ("skip", -2, ["END"]), ("skip", -1, ["END"]),
    ("repeat", -2, [0, 1, 2, 0, 1, 2]),
])
def test_any_negative_count_means_all_or_forever(method, count, expected):
    build = lambda lib: getattr(lib.data.Dataset.range(3), method)(count)  # noqa: E731
    assert _drain(tf, build, limit=6) == expected


def test_negative_count_cardinality():
    with tf.Graph().as_default():
        cards = [E.cardinality(D.range(3).take(-2)), E.cardinality(D.range(3).skip(-5)),
                 E.cardinality(D.range(3).repeat(-3))]
        with tf.Session() as sess:
            assert sess.run(cards) == [3, 0, E.INFINITE_CARDINALITY]


def test_count_must_still_be_an_integer():
    with tf.Graph().as_default(), pytest.raises(TypeError, match="count"):
        D.range(3).take(1.5)


@pytest.mark.parametrize("method,count", [("take", -2), ("skip", -3), ("repeat", -2)])
def test_negative_counts_vs_tf(method, count):
    build = lambda lib: getattr(lib.data.Dataset.range(3), method)(count)  # noqa: E731
    assert _drain(tf, build, limit=6) == _drain(_tf1(), build, limit=6)


# -- 3. a list nested in a map function's result -------------------------------------------------
def test_nested_list_in_map_result_is_one_packed_tensor():
    with tf.Graph().as_default():
        ds = D.range(2).map(lambda x: (x, [x, x + 1], {"d": [x, 2 * x]}))
        shapes = tf.data.get_output_shapes(ds)
        assert [s.as_list() for s in (shapes[0], shapes[1], shapes[2]["d"])] == [[], [2], [2]]
    assert _drain(tf, lambda lib: ds) == [(0, [0, 1], {"d": [0, 0]}),
                                          (1, [1, 2], {"d": [1, 2]}), "END"]


def test_top_level_list_still_becomes_a_tuple():
    with tf.Graph().as_default():
        ds = D.range(1).map(lambda x: [x, [x, x]])
        shapes = tf.data.get_output_shapes(ds)
        assert isinstance(shapes, tuple) and shapes[1].as_list() == [2]


def test_nested_list_vs_tf():
    build = lambda lib: lib.data.Dataset.range(2).map(  # noqa: E731
        lambda x: (x, [x, x + 1]))
    assert _drain(tf, build) == _drain(_tf1(), build)
    tf1 = _tf1()
    with tf1.Graph().as_default():
        theirs = tf1.data.get_output_shapes(build(tf1))
    with tf.Graph().as_default():
        ours = tf.data.get_output_shapes(build(tf))
    assert [s.as_list() for s in ours] == [s.as_list() for s in theirs]


# -- 4. parsed VarLenFeature static shapes -------------------------------------------------------
def _example(lib, values):
    return lib.train.Example(features=lib.train.Features(feature={"v": lib.train.Feature(
        float_list=lib.train.FloatList(value=values))})).SerializeToString()


def _varlen_shapes(lib):
    ex = _example(lib, [1.0, 2.0])
    with lib.Graph().as_default():
        feature = {"v": lib.io.VarLenFeature(lib.float32)}
        batch = lib.io.parse_example(lib.constant([ex, ex]), feature)["v"]
        single = lib.io.parse_single_example(lib.constant(ex), feature)["v"]
        with lib.Session() as sess:
            dense = sess.run(batch.dense_shape).tolist()
        return batch.shape.as_list(), single.shape.as_list(), dense


def test_parsed_varlen_static_shape_has_only_its_rank():
    # Constant input must not fold into a known (2, 2): TF shows (?, ?) and (?,).
    assert _varlen_shapes(tf) == ([None, None], [None], [2, 2])


def test_parsed_varlen_static_shape_vs_tf():
    assert _varlen_shapes(tf) == _varlen_shapes(_tf1())


# -- 5. decode_csv edge records ------------------------------------------------------------------
def _decode(lib, records, defaults):
    with lib.Graph().as_default():
        out = lib.io.decode_csv(records, defaults)
        with lib.Session() as sess:
            try:
                return _plain(tuple(sess.run(out)))
            except lib.errors.InvalidArgumentError as e:
                return [line for line in str(e).splitlines()
                        if "field" in line.lower() or "quote" in line.lower()][0].strip()


@pytest.mark.parametrize("records,defaults,expected", [
    ([""], [[5]], "Expect 1 fields but have 0 in record 0"),
    ([""], [[5], [6]], "Expect 2 fields but have 0 in record 0"),
    (["\r"], [[""]], "Expect 1 fields but have 0 in record 0"),
    (["1,2\r"], [[0], [0]], "Unquoted fields cannot have quotes/CRLFs inside"),
    (["1\n,2"], [[0], [0]], "Unquoted fields cannot have quotes/CRLFs inside"),
    (['"1\r",2'], [[""], [0]], ([b"1\r"], [2])),
    (["1,\r2"], [[0], [0]], ([1], [2])),  # a CR where a field starts is skipped
    (["1,"], [[0], [7]], ([1], [7])),
    (['"a""b",'], [[""], [3]], ([b'a"b'], [3])),
])
def test_decode_csv_edge_records(records, defaults, expected):
    got = _decode(tf, records, defaults)
    assert got == expected if isinstance(expected, str) else got == _plain(expected)


@pytest.mark.parametrize("records,defaults", [
    ([""], [[5]]), (["1,2\r"], [[0], [0]]), (["\r"], [[""]]), (['"1\r",2'], [[""], [0]]),
    (["1,\r2"], [[0], [0]]), (["1,\r"], [[0]]), (['"ab"x'], [[""]]), (['"ab'], [[""]]),
])
def test_decode_csv_edge_records_vs_tf(records, defaults):
    assert _decode(tf, records, defaults) == _decode(_tf1(), records, defaults)


# -- 6. make_csv_dataset type inference ----------------------------------------------------------
def _csv_types(lib, path, **kw):
    with lib.Graph().as_default():
        ds = lib.data.experimental.make_csv_dataset(str(path), 1, num_epochs=1, shuffle=False,
                                                    **kw)
        types = lib.data.get_output_types(ds)
        return type(types).__name__, [(k, v.name) for k, v in types.items()]


CSV_FILES = {
    "quoted": 'a,b\n"x,y",1\n',
    "wide": "a,b,c,d\n3000000000,nan,1e400,1e39\n",
    "mixed": "a,b\n1,2.5\n2.5,\n",
    "header_only": "a,b\n",
}


@pytest.mark.parametrize("name,expected", [
    ("quoted", [("a", "string"), ("b", "int32")]),
    ("wide", [("a", "int64"), ("b", "string"), ("c", "string"), ("d", "float64")]),
    ("mixed", [("a", "float32"), ("b", "float32")]),
    ("header_only", [("a", "string"), ("b", "string")]),
])
def test_make_csv_dataset_infers_types_as_tf(tmp_path, name, expected):
    path = tmp_path / "f.csv"
    path.write_text(CSV_FILES[name])
    assert _csv_types(tf, path) == ("OrderedDict", expected)


def test_make_csv_dataset_values_with_inferred_int64_and_quotes(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('a,b\n3000000000,"x,y"\n')
    got = _drain(tf, lambda lib: E.make_csv_dataset(str(path), 1, num_epochs=1, shuffle=False))
    assert got == [{"a": [3000000000], "b": [b"x,y"]}, "END"]
    assert isinstance(values_dict := got[0], dict) and list(values_dict) == ["a", "b"]


def test_make_csv_dataset_gzip_inference(tmp_path):
    path = tmp_path / "g.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("a,b\n1,x\n")
    got = _drain(tf, lambda lib: E.make_csv_dataset(str(path), 1, compression_type="GZIP",
                                                    num_epochs=1, shuffle=False))
    assert got == [{"a": [1], "b": [b"x"]}, "END"]


def test_make_csv_dataset_empty_file_and_bad_rows(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with tf.Graph().as_default(), pytest.raises(ValueError, match="Failed when reading the "
                                                "header line of .*e.csv. Is it an empty file"):
        E.make_csv_dataset(str(empty), 1)
    bad = tmp_path / "b.csv"
    bad.write_text("a,b\n1,2,3\n")
    with tf.Graph().as_default(), pytest.raises(ValueError, match="CSV row 2 has 3 number"):
        E.make_csv_dataset(str(bad), 1)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="duplicate column names"):
        E.make_csv_dataset(str(bad), 1, column_names=["a", "a", "c"])


def test_csv_dataset_header_of_an_empty_file_is_an_error(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("")
    got = _drain(tf, lambda lib: lib.data.experimental.CsvDataset(str(empty), [[0]],
                                                                   header=True))
    assert got == ["InvalidArgumentError"]


@pytest.mark.parametrize("name", sorted(CSV_FILES))
def test_make_csv_dataset_types_vs_tf(tmp_path, name):
    tf1 = _tf1()
    path = tmp_path / "f.csv"
    path.write_text(CSV_FILES[name])
    assert _csv_types(tf, path) == _csv_types(tf1, path)
    if name != "header_only":
        build = lambda lib: lib.data.experimental.make_csv_dataset(  # noqa: E731
            str(path), 1, num_epochs=1, shuffle=False)
        assert _drain(tf, build) == _drain(tf1, build)


def test_csv_gzip_and_empty_header_vs_tf(tmp_path):
    tf1 = _tf1()
    gz = tmp_path / "g.csv.gz"
    with gzip.open(gz, "wt") as f:
        f.write("a,b\n1,x\n2,y\n")
    build = lambda lib: lib.data.experimental.make_csv_dataset(  # noqa: E731
        str(gz), 2, compression_type="GZIP", num_epochs=1, shuffle=False)
    assert _drain(tf, build) == _drain(tf1, build)
    empty = tmp_path / "e.csv"
    empty.write_text("")
    build = lambda lib: lib.data.experimental.CsvDataset(  # noqa: E731
        str(empty), [[0]], header=True)
    assert _drain(tf, build) == _drain(tf1, build)
    with tf1.Graph().as_default(), pytest.raises(ValueError, match="empty file"):
        tf1.data.experimental.make_csv_dataset(str(empty), 1)


def test_ordered_dict_structure_kept_through_map():
    with tf.Graph().as_default():
        ds = D.from_tensors(collections.OrderedDict([("b", 1), ("a", 2)])).map(lambda d: d)
        assert isinstance(tf.data.get_output_types(ds), collections.OrderedDict)
        assert list(tf.data.get_output_types(ds)) == ["b", "a"]


# -- 7. more tf.data.experimental names ----------------------------------------------------------
def test_counter():
    assert _drain(tf, lambda lib: E.Counter(3, 2), limit=3) == [3, 5, 7]
    assert _drain(tf, lambda lib: E.Counter(1, -1, tf.int32), limit=3) == [1, 0, -1]
    with tf.Graph().as_default():
        ds = E.Counter()
        assert tf.data.get_output_types(ds) == tf.int64
        assert tf.data.get_output_shapes(ds).as_list() == []
        with tf.Session() as sess:
            assert sess.run(E.cardinality(ds)) == E.INFINITE_CARDINALITY


def test_take_while_unique_enumerate():
    assert _drain(tf, lambda lib: D.range(6).apply(E.take_while(lambda x: x < 3))) == \
        [0, 1, 2, "END"]
    assert _drain(tf, lambda lib: D.range(6).map(lambda x: (x, -x)).apply(
        E.take_while(lambda x, y: y > -2))) == [(0, 0), (1, -1), "END"]
    assert _drain(tf, lambda lib: D.from_tensor_slices([1, 2, 1, 3, 2]).apply(E.unique())) == \
        [1, 2, 3, "END"]
    assert _drain(tf, lambda lib: D.from_tensor_slices([[1, 2], [1, 3], [1, 2]]).apply(
        E.unique())) == [[1, 2], [1, 3], "END"]
    assert _drain(tf, lambda lib: D.from_tensor_slices([b"a", b"b", b"a"]).apply(
        E.unique())) == [b"a", b"b", "END"]
    assert _drain(tf, lambda lib: D.range(10, 12).apply(E.enumerate_dataset(5))) == \
        [(5, 10), (6, 11), "END"]


def test_take_while_and_unique_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="must return a `tf.bool` scalar"):
            D.range(3).apply(E.take_while(lambda x: x))
        with pytest.raises(TypeError, match="does not support type"):
            D.from_tensor_slices([1.0]).apply(E.unique())
    assert _drain(tf, lambda lib: D.from_tensor_slices(([1], [2])).apply(E.unique())) == \
        ["InvalidArgumentError"]


def test_assert_cardinality():
    assert _drain(tf, lambda lib: D.range(2).apply(E.assert_cardinality(2))) == [0, 1, "END"]
    assert _drain(tf, lambda lib: D.range(2).apply(E.assert_cardinality(3))) == \
        [0, 1, "FailedPreconditionError"]
    assert _drain(tf, lambda lib: D.range(5).apply(E.assert_cardinality(3))) == \
        [0, 1, 2, "FailedPreconditionError"]
    assert _drain(tf, lambda lib: D.range(2).apply(
        E.assert_cardinality(E.INFINITE_CARDINALITY))) == [0, 1, "FailedPreconditionError"]
    with tf.Graph().as_default():
        ds = D.range(2).filter(lambda x: x > 0).apply(E.assert_cardinality(7))
        with tf.Session() as sess:
            assert sess.run(E.cardinality(ds)) == 7
        with pytest.raises(tf.errors.FailedPreconditionError, match="expected to contain 7 "
                           "elements but contained only 1 elements"):
            nxt = ds.make_one_shot_iterator().get_next()
            with tf.Session() as sess:
                assert sess.run(nxt) == 1
                sess.run(nxt)


def test_get_structure():
    with tf.Graph().as_default():
        ds = D.range(2).map(lambda x: (x, {"a": tf.cast(x, tf.float32)}))
        spec = E.get_structure(ds)
        assert spec[0].dtype == tf.int64 and spec[1]["a"].dtype == tf.float32
        assert E.get_structure(ds.make_one_shot_iterator())[1]["a"].shape.as_list() == []
        with pytest.raises(TypeError, match="must be a `tf.data.Dataset`"):
            E.get_structure(3)


_EXTRA_PIPELINES = {
    "counter": lambda lib: lib.data.experimental.Counter(4, 3),
    "take_while": lambda lib: lib.data.Dataset.range(6).apply(
        lib.data.experimental.take_while(lambda x: x < 4)),
    "unique": lambda lib: lib.data.Dataset.from_tensor_slices([3, 1, 3, 2, 1]).apply(
        lib.data.experimental.unique()),
    "enumerate": lambda lib: lib.data.Dataset.range(3).apply(
        lib.data.experimental.enumerate_dataset(2)),
    "assert_few": lambda lib: lib.data.Dataset.range(2).apply(
        lib.data.experimental.assert_cardinality(3)),
    "assert_many": lambda lib: lib.data.Dataset.range(5).apply(
        lib.data.experimental.assert_cardinality(3)),
}


@pytest.mark.parametrize("name", sorted(_EXTRA_PIPELINES))
def test_experimental_extras_vs_tf(name):
    build = _EXTRA_PIPELINES[name]
    assert _drain(tf, build, limit=5) == _drain(_tf1(), build, limit=5)
