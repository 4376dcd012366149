"""Partitioned variables (core/partitioned_variables.py): the partitioners, get_variable with a
partitioner, PartitionedVariable, its use in models, and its checkpoints (one sliced tensor).
Expected values were produced by TensorFlow 2.21 (tf.compat.v1, reference variables) unless a
numpy reference is computed; the tests marked with ``tf1`` run TensorFlow itself when it is
installed."""

import json
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError, NotFoundError
from minitf.partitioned_variables import PartitionedVariable
from minitf.train import tensor_bundle as tb

FULL = np.arange(10, dtype=np.float32).reshape(5, 2)
TF_PARTITIONED = str(Path(__file__).parent / "data" / "tf_checkpoint" / "partitioned")


def _model(parts=2, full=FULL, name="w"):
    return tf.get_variable(name, initializer=tf.constant(full),
                           partitioner=tf.fixed_size_partitioner(parts))


# -- partitioners ---------------------------------------------------------------------------------
# (partitioner, arguments, shape, dtype, the partitions TF 2.21 returned)
PARTITIONS = [
    ("fixed", dict(num_shards=3), [10, 4], "float32", [3, 1]),
    ("fixed", dict(num_shards=5), [3, 4], "float32", [3, 1]),
    ("fixed", dict(num_shards=2, axis=1), [3, 4], "int64", [1, 2]),
    ("axis", dict(max_shard_bytes=64), [10, 4], "float32", [3, 1]),
    ("axis", dict(max_shard_bytes=64), [10, 4], "float64", [5, 1]),
    ("axis", dict(max_shard_bytes=100, axis=1), [3, 10], "float32", [1, 2]),
    ("axis", dict(max_shard_bytes=10), [10, 4], "float32", [10, 1]),
    ("axis", dict(max_shard_bytes=64, max_shards=2), [10, 4], "float32", [2, 1]),
    ("axis", dict(max_shard_bytes=100), [7, 2], "string", [3, 1]),
    ("minmax", dict(max_partitions=4, min_slice_size=64), [10, 4], "float32", [3, 1]),
    ("minmax", dict(max_partitions=100, min_slice_size=64), [10, 4], "float64", [5, 1]),
    ("minmax", dict(max_partitions=3), [1000, 100], "float32", [2, 1]),
    ("minmax", dict(max_partitions=8, min_slice_size=16, axis=1), [2, 5], "int32", [1, 3]),
    ("minmax", dict(max_partitions=8, min_slice_size=10, bytes_per_string_element=4), [6],
     "string", [3]),
]
PARTITIONERS = {"fixed": "fixed_size_partitioner", "axis": "variable_axis_size_partitioner",
                "minmax": "min_max_variable_partitioner"}


@pytest.mark.parametrize("kind,kwargs,shape,dtype,want", PARTITIONS)
def test_partitioners_give_tensorflows_counts(kind, kwargs, shape, dtype, want):
    partitioner = getattr(tf, PARTITIONERS[kind])(**kwargs)
    assert partitioner(shape=tf.TensorShape(shape), dtype=tf.as_dtype(dtype)) == want


def test_partitioner_argument_errors():
    with pytest.raises(ValueError, match="must be positive"):
        tf.variable_axis_size_partitioner(0)
    with pytest.raises(ValueError, match="not fully defined"):
        tf.variable_axis_size_partitioner(8)(shape=tf.TensorShape([None, 2]), dtype=tf.float32)
    with pytest.raises(ValueError, match="along axis 2"):
        tf.min_max_variable_partitioner(axis=2)(shape=tf.TensorShape([4]), dtype=tf.float32)


# -- get_variable ---------------------------------------------------------------------------------
def test_get_variable_makes_parts_as_tensorflow():
    tf.reset_default_graph()
    w = tf.get_variable("w", [5, 2], initializer=tf.constant_initializer(1.0),
                        partitioner=tf.fixed_size_partitioner(2))
    assert isinstance(w, PartitionedVariable)
    assert (w.name, w.get_shape().as_list(), w.shape.as_list(), w.dtype) == \
        ("w", [5, 2], [5, 2], tf.float32)
    assert len(w) == 2 and w._get_partitions() == [2, 1]
    assert [v.name for v in w] == [v.name for v in w._get_variable_list()] == \
        ["w/part_0:0", "w/part_1:0"]
    # TF's SaveSliceInfo of each part: earlier parts take the extra row.
    assert [(v._save_slice_info.full_name, v._save_slice_info.full_shape,
             v._save_slice_info.var_offset, v._save_slice_info.var_shape,
             v._save_slice_info.spec) for v in w] == [
        ("w", [5, 2], [0, 0], [3, 2], "5 2 0,3:0,2"), ("w", [5, 2], [3, 0], [2, 2], "5 2 3,2:0,2")]
    assert [v.name for v in tf.global_variables()] == ["w/part_0:0", "w/part_1:0"]
    assert [v.name for v in tf.trainable_variables()] == ["w/part_0:0", "w/part_1:0"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(w.as_tensor()), np.ones((5, 2)))


def test_conversion_is_one_concat_named_as_tensorflow():
    """as_tensor, tf.matmul(x, w) and convert_to_tensor each make one ConcatV2 and an Identity
    named like the variable: TF 2.21's op list for the same code."""
    tf.reset_default_graph()
    w = tf.get_variable("w", [5, 2], initializer=tf.constant_initializer(1.0),
                        partitioner=tf.fixed_size_partitioner(2))
    assert w.as_tensor().name == "w:0"
    y = tf.matmul(tf.ones([3, 5]), w)
    assert y.name == "MatMul:0" and tf.convert_to_tensor(w).name == "w_2:0"
    assert [op.name for op in tf.get_default_graph().get_operations()] == [
        "w/part_0/Initializer/Const", "w/part_0", "w/part_0/Assign", "w/part_0/read",
        "w/part_1/Initializer/Const", "w/part_1", "w/part_1/Assign", "w/part_1/read",
        "w/ConcatPartitions/concat/axis", "w/ConcatPartitions/concat", "w", "ones",
        "w/ConcatPartitions/concat_1/axis", "w/ConcatPartitions/concat_1", "w_1", "MatMul",
        "w/ConcatPartitions/concat_2/axis", "w/ConcatPartitions/concat_2", "w_2"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(y), np.full((3, 2), 5.0))


def test_initializers_are_called_per_part_with_partition_info():
    tf.reset_default_graph()
    calls = []

    def init(shape, dtype=None, partition_info=None):
        calls.append((list(shape), partition_info.full_shape, partition_info.var_offset,
                      partition_info.single_offset(shape)))
        return tf.zeros(shape, dtype)

    with tf.variable_scope("s", partitioner=tf.fixed_size_partitioner(2)) as scope:
        w = tf.get_variable("w", [5, 2], initializer=init)
        r = tf.get_variable("r", [5, 3], initializer=tf.random_normal_initializer())
        v = tf.get_variable("v", initializer=tf.constant(np.arange(6.0).reshape(3, 2)))
        c = tf.get_variable("c", [])  # a scalar is never partitioned
    assert scope.partitioner is not None and w.name == "s/w"
    assert calls == [([3, 2], [5, 2], [0, 0], 0), ([2, 2], [5, 2], [3, 0], 3)]  # as TF's
    assert [p.shape.as_list() for p in r] == [[3, 3], [2, 3]]
    assert v.dtype == tf.float64 and isinstance(c, tf.Variable) and c.op.name == "s/c"
    # A value for the whole variable is sliced per part, in TF's name scope.
    assert [o.name for o in tf.get_default_graph().get_operations()
            if o.name.startswith("s/v/part_0")] == [
        "s/v/part_0/PartitionedInitializer/Slice/begin",
        "s/v/part_0/PartitionedInitializer/Slice/size",
        "s/v/part_0/PartitionedInitializer/Slice", "s/v/part_0", "s/v/part_0/Assign",
        "s/v/part_0/read"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(v.as_tensor()), np.arange(6.0).reshape(3, 2))
        np.testing.assert_array_equal(sess.run(v._get_variable_list()[1]), [[4.0, 5.0]])


def test_reuse_and_errors_match_tensorflow():
    """Every message below is TF 2.21's for the same calls."""
    tf.reset_default_graph()
    with tf.variable_scope("s", partitioner=tf.fixed_size_partitioner(2)):
        w = tf.get_variable("w", [5, 2])
    with tf.variable_scope("s", reuse=True):
        assert tf.get_variable("w") is w  # reuse needs no partitioner
        with pytest.raises(ValueError, match=r"specified partitions \[3, 1\] and found "
                                             r"partitions \[2, 1\]"):
            tf.get_variable("w", [5, 2], partitioner=tf.fixed_size_partitioner(3))
        with pytest.raises(ValueError, match="PartitionedVariable s/nope does not exist"):
            tf.get_variable("nope", [5, 2], partitioner=tf.fixed_size_partitioner(3))
        with pytest.raises(ValueError, match=r"specified shape \(6, 2\) and found shape"):
            tf.get_variable("w", [6, 2], partitioner=tf.fixed_size_partitioner(2))
    with tf.variable_scope("s", reuse=tf.AUTO_REUSE, partitioner=tf.fixed_size_partitioner(2)):
        assert tf.get_variable("w", [5, 2]) is w
    with tf.variable_scope("s"):
        with pytest.raises(ValueError, match="Partitioned variable with name s/w already "
                                             "exists"):
            tf.get_variable("w", [5, 2], partitioner=tf.fixed_size_partitioner(2))
        with pytest.raises(ValueError, match="No partitioner was provided, but a partitioned "
                                             "version of the variable was found: s/w/part_0"):
            tf.get_variable("w", [5, 2])
        tf.get_variable("plain", [4])
        with pytest.raises(ValueError, match="an unpartitioned version of the variable was "
                                             "found: s/plain"):
            tf.get_variable("plain", [4], partitioner=tf.fixed_size_partitioner(2))
        with pytest.raises(ValueError, match="must be fully defined, but instead was "
                                             "<unknown>"):
            tf.get_variable("q", partitioner=tf.fixed_size_partitioner(2))
        with pytest.raises(ValueError, match="Can only slice a variable along one dimension"):
            tf.get_variable("q2", [4, 4], partitioner=lambda shape, dtype: [2, 2])
        with pytest.raises(ValueError, match="Partitioner must be callable, but received: 3"):
            tf.get_variable("q3", [4, 4], partitioner=3)
    assert [v.op.name for v in tf.global_variables()] == ["s/w/part_0", "s/w/part_1", "s/plain"]


def test_custom_getter_receives_the_partitioner():
    tf.reset_default_graph()
    seen = []

    def getter(getter, *args, **kwargs):
        seen.append(kwargs["partitioner"])
        return getter(*args, **kwargs)

    part = tf.fixed_size_partitioner(2)
    with tf.variable_scope("s", partitioner=part, custom_getter=getter):
        w = tf.get_variable("w", [4, 2])
    assert seen == [part] and [v.op.name for v in w] == ["s/w/part_0", "s/w/part_1"]


def test_assign_splits_the_value_over_the_parts():
    tf.reset_default_graph()
    w = tf.get_variable("w", [5, 2], partitioner=tf.fixed_size_partitioner(2))
    assigned = w.assign(FULL)
    assert [t.name for t in assigned] == ["Assign:0", "Assign_1:0"]  # TF's
    added = w.assign_add(np.ones((5, 2), np.float32), read_value=False)
    assert [op.name for op in added] == ["AssignAdd", "AssignAdd_1"]
    subtracted = w.assign_sub([np.ones((3, 2), np.float32), np.ones((2, 2), np.float32)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(assigned)
        sess.run(added)
        np.testing.assert_array_equal(sess.run(w.as_tensor()), FULL + 1)
        sess.run(subtracted)
        np.testing.assert_array_equal(sess.run(w.as_tensor()), FULL)


# -- in models ------------------------------------------------------------------------------------
def _mod_lookup(full, parts, ids):
    """numpy: TF's 'mod' strategy on parts split as get_variable splits them."""
    blocks = np.array_split(full, parts)  # earlier blocks one row longer, as TF's parts
    return np.stack([blocks[i % parts][i // parts] for i in ids])


def test_embedding_lookup_takes_the_parts():
    tf.reset_default_graph()
    full = np.arange(14, dtype=np.float32).reshape(7, 2)
    w = _model(3, full)
    ids = [0, 6, 2, 3, 5, 1, 4]
    mod = tf.nn.embedding_lookup(w, ids)
    div = tf.nn.embedding_lookup(w, ids, partition_strategy="div")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_mod, got_div = sess.run([mod, div])
    np.testing.assert_array_equal(got_div, full[ids])  # 'div' parts are contiguous rows
    np.testing.assert_array_equal(got_mod, _mod_lookup(full, 3, ids))
    # TF 2.21's 'mod' result: not the full table's rows.
    assert got_mod.tolist() == [[0, 1], [4, 5], [10, 11], [2, 3], [12, 13], [6, 7], [8, 9]]


def test_adam_trains_each_part_with_its_own_slots():
    tf.reset_default_graph()
    full = np.arange(14, dtype=np.float32).reshape(7, 2)
    w = _model(3, full)
    e = tf.nn.embedding_lookup(w, [0, 6, 2, 3, 5, 1, 4])
    train = tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(e * e))
    assert [v.op.name for v in tf.global_variables()] == [  # TF's names
        "w/part_0", "w/part_1", "w/part_2", "beta1_power", "beta2_power", "w/part_0/Adam",
        "w/part_0/Adam_1", "w/part_1/Adam", "w/part_1/Adam_1", "w/part_2/Adam",
        "w/part_2/Adam_1"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        got = sess.run(w.as_tensor())
    # Adam's first step moves every element with a gradient by the learning rate.
    np.testing.assert_allclose(got, full - 0.1 * np.sign(full), rtol=1e-6)


# -- checkpoints ----------------------------------------------------------------------------------
def _adam_model(parts=2):
    w = _model(parts)
    b = tf.get_variable("b", [3], initializer=tf.zeros_initializer())
    e = tf.nn.embedding_lookup(w, [0, 4, 2, 3])
    return w, tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(e * e) + tf.reduce_sum(b))


@pytest.mark.parametrize("v2", [False, True])
def test_saver_writes_one_tensor_per_partitioned_variable(tmp_path, v2):
    """The parts and their Adam slots are saved under TF's names (w, w/Adam, w/Adam_1: TF
    2.21's list_variables of the same model) and restore into another partitioning."""
    tf.reset_default_graph()
    w, train = _adam_model()
    saver = tf.train.Saver(write_version=tf.train.SaverDef.V2 if v2 else None)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        want = sess.run(w.as_tensor())
        want_m = np.concatenate(sess.run(
            [v for v in tf.global_variables() if v.op.name.endswith("/Adam")][:2]))
        prefix = saver.save(sess, str(tmp_path / "m"))
    assert tf.train.list_variables(prefix) == [
        ("b", [3]), ("b/Adam", [3]), ("b/Adam_1", [3]), ("beta1_power", []),
        ("beta2_power", []), ("w", [5, 2]), ("w/Adam", [5, 2]), ("w/Adam_1", [5, 2])]
    reader = tf.train.NewCheckpointReader(prefix)
    assert reader.get_variable_to_shape_map()["w"] == [5, 2] and not reader.has_tensor(
        "w/part_0")
    np.testing.assert_array_equal(reader.get_tensor("w"), want)
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "w/Adam"), want_m)
    for parts in (3, 1):  # another partitioning, and none (TF restores both)
        tf.reset_default_graph()
        w2, _ = _adam_model(parts)
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(tf.convert_to_tensor(w2)), want)
    tf.reset_default_graph()
    tf.get_variable("w", [6, 2], partitioner=tf.fixed_size_partitioner(2))
    with tf.Session() as sess, pytest.raises(InvalidArgumentError,
                                             match=r"lhs shape= \[6,2\] rhs shape= \[5,2\] "
                                                   r"\(variable w, "):
        tf.train.Saver().restore(sess, prefix)


def test_tf_format_is_byte_identical_to_tensorflows(tmp_path):
    """The index TF 2.21 wrote for these two variables (w float32 [5, 2] and big int32 [130],
    each in 2 parts: big's offset 65 takes a two-byte OrderedCode), and the same data file."""
    tf.reset_default_graph()
    _model(2)
    _model(2, np.arange(130, dtype=np.int32), name="big")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        prefix = tf.train.Saver(write_version=tf.train.SaverDef.V2).save(
            sess, str(tmp_path / "tf"), write_meta_graph=False, write_state=False)
    tf_index = bytes.fromhex(
        "00000608011a020801000b10006269670001010180c041080312041202084128840235bf846af408"
        "0413c041c04108031204120208412084022884023532391ea0010916770001010280838082080112"
        "081202080312020802208804281835c0db3d170604168382808208011208120208021202080220a0"
        "04281035500f12bc0003176269670803120512030882013a040a0210413a060a0408411041000122"
        "770801120812020805120208023a080a0210030a0210023a0a0a04080310020a021002000000000"
        "100000000f3a14648000000000100000000c0f2a1b00001037800cb010000000001000000000f33f"
        "56dd00108dd010f0000000000000000000000000000000000000000000000000000000000000000"
        "000057fb808b247547db")
    assert Path(prefix + ".index").read_bytes() == tf_index
    assert Path(prefix + ".data-00000-of-00001").read_bytes() == \
        np.arange(130, dtype=np.int32).tobytes() + FULL.tobytes()
    assert tb.slice_key("big", [(65, 65)]) == b"\x00big\x00\x01\x01\x01\xc0A\xc0A"


def test_reads_tensorflows_partitioned_checkpoint():
    """data/tf_checkpoint/partitioned: TF's 'part' = arange(8) saved in two slices."""
    assert tb.list_bundle(TF_PARTITIONED) == {"part": (np.dtype(np.float32), (8,))}
    np.testing.assert_array_equal(tb.read_bundle(TF_PARTITIONED)["part"], np.arange(8))
    np.testing.assert_array_equal(tb.BundleReader(TF_PARTITIONED).read("part", [3], [3]),
                                  [3, 4, 5])  # a block across both slices
    for partitioner in (tf.fixed_size_partitioner(3), None):
        tf.reset_default_graph()
        part = tf.get_variable("part", [8], partitioner=partitioner)
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, TF_PARTITIONED)
            np.testing.assert_array_equal(sess.run(tf.convert_to_tensor(part)), np.arange(8))


def test_saver_var_list_forms(tmp_path):
    """TF's op_list_to_dict: a PartitionedVariable or a list of parts is saved under its name
    (or its dict key); a part under a dict key is saved whole; slices and non-slices may not
    share a name."""
    tf.reset_default_graph()
    w = _model(2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for var_list, want in [([w], [("w", [5, 2])]), ({"t": w}, [("t", [5, 2])]),
                               ({"t": list(w)}, [("t", [5, 2])]),
                               ({"p": w._get_variable_list()[1]}, [("p", [2, 2])])]:
            prefix = tf.train.Saver(var_list).save(sess, str(tmp_path / "m"))
            assert tf.train.list_variables(prefix) == want
        only_first = tf.train.Saver([w._get_variable_list()[0]])
        with pytest.raises(InvalidArgumentError, match="only some parts of the partitioned "
                                                       "variable w"):
            only_first.save(sess, str(tmp_path / "npz"))
        v2 = tf.train.Saver([w._get_variable_list()[0]], write_version=tf.train.SaverDef.V2)
        prefix = v2.save(sess, str(tmp_path / "v2"))
        assert tf.train.list_variables(prefix) == [("w", [5, 2])]
        sess.run(w.assign(np.zeros((5, 2), np.float32)))
        v2.restore(sess, prefix)  # the saved slice is enough for the part that needs it
        np.testing.assert_array_equal(sess.run(w._get_variable_list()[0]), FULL[:3])
        with pytest.raises(NotFoundError, match="do not cover"):
            tf.train.Saver([w]).restore(sess, prefix)
    tf.reset_default_graph()
    w = _model(2)
    plain = tf.Variable(np.zeros((5, 2), np.float32), name="w")
    with pytest.raises(ValueError, match="Mixing slices and non-slices with the same name: w"):
        tf.train.Saver([w, plain])


def test_npz_manifest_lists_the_slices(tmp_path):
    tf.reset_default_graph()
    _model(2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        prefix = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with np.load(prefix + ".npz") as data:
        meta = json.loads(bytes(data["__minitf__"]).decode())
        np.testing.assert_array_equal(data["w"], FULL)
    assert meta["slices"] == {"w": [[[0, 0], [3, 2]], [[3, 0], [2, 2]]]}


def test_freeze_keeps_the_concat_and_exports_from_checkpoints(tmp_path):
    """freeze turns the parts into constants; freezing from a checkpoint and `minitf export`
    find each part (w/part_K) as its block of the saved tensor w."""
    from minitf.export import DEFAULT_SIGNATURE, freeze, freeze_from_checkpoint, load
    from minitf.serving import cli

    script = tmp_path / "build.py"
    script.write_text(
        "import numpy as np\nimport minitf as tf\n\ndef build_graph():\n"
        "    x = tf.placeholder(tf.float32, [None, 5], name='x')\n"
        "    w = tf.get_variable('w', [5, 2], partitioner=tf.fixed_size_partitioner(2))\n"
        "    tf.identity(tf.matmul(x, w), name='y')\n")
    namespace: dict = {}
    exec(script.read_text(), namespace)
    x_value = np.ones((1, 5), np.float32)
    tf.reset_default_graph()
    namespace["build_graph"]()
    with tf.Session() as sess:
        sess.run([v.assign(FULL[i:][:v.shape[0].value])
                  for v, i in zip(tf.global_variables(), (0, 3))])
        frozen = freeze(sess, {"x": "x:0"}, {"y": "y:0"})
        npz = tf.train.Saver().save(sess, str(tmp_path / "npz"))
        v2 = tf.train.Saver(write_version=tf.train.SaverDef.V2).save(sess, str(tmp_path / "v2"))
    types = {op.name: op.type for op in frozen.graph.get_operations()}
    assert types["w/part_0"] == types["w/part_1"] == "Const"
    assert types["w/ConcatPartitions/concat"] == "ConcatV2"
    want = x_value @ FULL
    with tf.Session(graph=frozen.graph) as sess:
        np.testing.assert_array_equal(sess.run(frozen.outputs["y"], {frozen.inputs["x"]: x_value}),
                                      want)
    for prefix in (npz, v2):
        graph = tf.Graph()
        with graph.as_default():
            namespace["build_graph"]()
        again = freeze_from_checkpoint(graph, prefix, {"x": "x:0"}, {"y": "y:0"})
        with tf.Session(graph=again.graph) as sess:
            np.testing.assert_array_equal(
                sess.run(again.outputs["y"], {again.inputs["x"]: x_value}), want)
    assert cli.main(["export", "--script", str(script), "--checkpoint", v2, "--inputs", "x=x:0",
                     "--outputs", "y=y:0", "--model_dir", str(tmp_path / "models")]) == 0
    model = load(str(tmp_path / "models" / "1"))
    sig = model.signatures[DEFAULT_SIGNATURE]
    with tf.Session(graph=model.graph) as sess:
        np.testing.assert_array_equal(
            sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: x_value}), want)


# -- against TensorFlow itself --------------------------------------------------------------------
def _tf_model(tf1, parts=2):
    w = tf1.get_variable("w", initializer=tf1.constant(FULL), use_resource=False,
                         partitioner=tf1.fixed_size_partitioner(parts))
    b = tf1.get_variable("b", [3], initializer=tf1.zeros_initializer(), use_resource=False)
    e = tf1.nn.embedding_lookup(w, [0, 4, 2, 3])
    return w, tf1.train.AdamOptimizer(0.1).minimize(tf1.reduce_sum(e * e) + tf1.reduce_sum(b))


def test_tensorflow_restores_minitfs_checkpoint_and_minitf_tensorflows(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    tf.reset_default_graph()
    _, train = _adam_model()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        ours = sess.run({v.op.name: v for v in tf.global_variables()})
        prefix = tf.train.Saver(write_version=tf.train.SaverDef.V2).save(
            sess, str(tmp_path / "minitf"))
    graph = tf1.Graph()
    with graph.as_default():
        tf_w, tf_train = _tf_model(tf1, parts=3)  # restored into another partitioning
        with tf1.Session() as sess:
            tf1.train.Saver().restore(sess, prefix)
            want = {n: np.concatenate([ours[n.replace("w", f"w/part_{i}", 1)] for i in range(2)])
                    for n in ("w", "w/Adam", "w/Adam_1")}
            for var in tf1.global_variables():
                name = var.op.name
                if "/part_" in name:
                    info = var._save_slice_info
                    block = want[info.full_name][info.var_offset[0]:][:info.var_shape[0]]
                    np.testing.assert_array_equal(sess.run(var), block, err_msg=name)
                else:
                    np.testing.assert_array_equal(sess.run(var), ours[name], err_msg=name)
            sess.run(tf_train)
            theirs = sess.run(tf_w.as_tensor())
            tf_prefix = tf1.train.Saver().save(sess, str(tmp_path / "tf"), write_meta_graph=False)
    tf.reset_default_graph()
    w, _ = _adam_model()
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, tf_prefix)
        np.testing.assert_array_equal(sess.run(w.as_tensor()), theirs)
    assert tf.train.list_variables(tf_prefix) == tf1.train.list_variables(tf_prefix)


def test_scaling_initializers_scale_by_the_whole_shape():
    """A part of a [200, 3] variable is drawn with the whole's scale (TF1's VarianceScaling and
    UniformUnitScaling take partition_info.full_shape): glorot's limit sqrt(6 / 203), not the
    part's sqrt(6 / 5)."""
    from minitf.partitioned_variables import PartitionInfo

    info = PartitionInfo(full_shape=[200, 3], var_offset=[0, 0])
    with tf.Session() as sess:
        part = sess.run(tf.glorot_uniform_initializer(seed=1)([2, 3], partition_info=info))
        unit = sess.run(tf.uniform_unit_scaling_initializer(seed=1)([2, 3],
                                                                 partition_info=info))
        alone = sess.run(tf.glorot_uniform_initializer(seed=1)([2, 3]))
    assert np.abs(part).max() <= np.sqrt(6 / 203)
    assert np.abs(unit).max() <= np.sqrt(3 / 200)
    assert np.abs(alone).max() > np.sqrt(6 / 203)  # the part's own scale would be wider


def test_create_partitioned_variables_refuses_more_parts_than_rows_given_as_numpy_ints():
    # TF 2.21: ValueError "Expected 0 <= offset < shape ..." for slicing [np.int64(3)] of [2].
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Expected 0 <= offset < shape but found offset=2"):
            tf.create_partitioned_variables([2], [np.int64(3)], tf.zeros_initializer())
