"""tf.train.init_from_checkpoint and warm_start with partitioned variables: each part starts
from its block of the checkpoint's (whole) tensor, whatever the map form, from minitf's .npz,
minitf's TF-format and TensorFlow's own checkpoints; compared with numpy and with TensorFlow."""

import os

import numpy as np
import pytest

import minitf as tf

VALUE = np.arange(10, dtype=np.float32).reshape(5, 2) * 1.5 - 3.0  # every row distinct


def _save(tmp_path, write_version=None, partitions=2, axis=0):
    """A minitf checkpoint holding enc/emb = VALUE (partitioned unless ``partitions`` is None)
    and enc/plain = VALUE + 100."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    with tf.Graph().as_default():
        partitioner = None if partitions is None else \
            tf.fixed_size_partitioner(partitions, axis=axis)
        tf.get_variable("enc/emb", initializer=tf.constant(VALUE), partitioner=partitioner)
        tf.get_variable("enc/plain", initializer=tf.constant(VALUE + 100))
        kw = {} if write_version is None else {"write_version": write_version}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.train.Saver(**kw).save(sess, str(tmp_path / "m"))


def _new(name="new/emb", shape=(5, 2), parts=3, dtype=tf.float32, axis=0):
    return tf.get_variable(name, shape, dtype=dtype, initializer=tf.zeros_initializer(),
                           partitioner=tf.fixed_size_partitioner(parts, axis=axis))


def _run_parts(pv):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return [sess.run(p) for p in pv]


def _check_parts(parts, expected, axis=0):
    """Each part equals its block of ``expected``, and together they are all of it."""
    np.testing.assert_array_equal(np.concatenate(parts, axis), expected)
    assert len(parts) > 1 and all(p.shape[axis] < expected.shape[axis] for p in parts)


@pytest.mark.parametrize("fmt", ["npz", "tf"])
@pytest.mark.parametrize("form", ["scope", "name", "parts", "root"])
def test_every_map_form_initializes_every_part(tmp_path, fmt, form):
    path = _save(tmp_path, tf.train.SaverDef.V2 if fmt == "tf" else None)
    assert os.path.exists(path + (".index" if fmt == "tf" else ".npz"))
    with tf.Graph().as_default():
        pv = _new("enc/emb" if form == "root" else "new/emb")  # 3 parts from 2 saved: repartitioned
        amap = {"scope": {"enc/": "new/"}, "name": {"enc/emb": "new/emb"},
                "parts": {"enc/emb": list(pv)}, "root": {"/": "/"}}[form]
        if form == "root":
            tf.get_variable("enc/plain", [5, 2])
        tf.train.init_from_checkpoint(path, amap)
        inits = {p.initializer.inputs[1].op.type for p in pv}
        # TF format: TF's RestoreV2 of the part's slice; .npz: the block as a constant.
        assert inits == ({"RestoreV2"} if fmt == "tf" else {"Const"})
        _check_parts(_run_parts(pv), VALUE)


@pytest.mark.parametrize("fmt", ["npz", "tf"])
def test_between_partitioned_and_whole(tmp_path, fmt):
    version = tf.train.SaverDef.V2 if fmt == "tf" else None
    path = _save(tmp_path / "a", version)
    with tf.Graph().as_default():  # saved in parts, restored whole
        v = tf.get_variable("w", [5, 2])
        tf.train.init_from_checkpoint(path, {"enc/emb": "w"})
        with tf.Session() as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(v), VALUE)
    whole = _save(tmp_path / "b", version, partitions=None)
    with tf.Graph().as_default():  # saved whole, restored in parts along axis 1
        pv = _new(parts=2, axis=1)
        tf.train.init_from_checkpoint(whole, {"enc/emb": "new/emb"})
        _check_parts(_run_parts(pv), VALUE, axis=1)


def test_other_variables_keep_their_initializers(tmp_path):
    path = _save(tmp_path)
    with tf.Graph().as_default():
        pv = _new()
        other = _new("other/emb", parts=2)
        tf.train.init_from_checkpoint(path, {"enc/": "new/"})
        _check_parts(_run_parts(pv), VALUE)
        assert not np.any(np.concatenate(_run_parts(other)))


def test_shape_and_dtype_mismatches(tmp_path):
    npz = _save(tmp_path / "n")
    bundle = _save(tmp_path / "t", tf.train.SaverDef.V2)
    shape_msg = (r"tensor_name = enc/emb; shape in shape_and_slice spec \[6, ?2\] does not "
                 r"match the shape stored in checkpoint: \[5, ?2\]")
    dtype_msg = "tensor_name = enc/emb; expected dtype int32 does not equal original dtype float"
    for kw, msg in (({"shape": (6, 2)}, shape_msg), ({"dtype": tf.int32}, dtype_msg)):
        with tf.Graph().as_default():  # .npz: found when the map is applied
            _new(**kw)
            with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
                tf.train.init_from_checkpoint(npz, {"enc/emb": "new/emb"})
        with tf.Graph().as_default():  # TF format: when the initializer runs, as TF
            _new(**kw)
            tf.train.init_from_checkpoint(bundle, {"enc/": "new/"})
            with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match=msg):
                sess.run(tf.global_variables_initializer())


def test_map_errors(tmp_path):
    path = _save(tmp_path)
    with tf.Graph().as_default():
        pv = _new()
        other = _new("other/emb", parts=2)
        with pytest.raises(ValueError, match="Slices must all be from the same tensor: "
                                             "new/emb != other/emb"):
            tf.train.init_from_checkpoint(path, {"enc/emb": [list(pv)[0], list(other)[1]]})
        with pytest.raises(TypeError, match="PartitionedVariable 'new/emb'"):
            tf.train.init_from_checkpoint(path, {"enc/emb": pv})
        with pytest.raises(ValueError, match=r"Shape of variable new/emb/part_0 \(\(2, 2\)\) "
                                             r"doesn't match with shape of tensor enc/emb"):
            tf.train.init_from_checkpoint(path, {"enc/emb": "new/emb/part_0"})
        with pytest.raises(ValueError, match=r"Tensor enc/nope \(new/emb in the graph\) is not "
                                             "found in"):
            tf.train.init_from_checkpoint(path, {"enc/nope": "new/emb"})
        plain = tf.get_variable("plain", [5, 2])
        with pytest.raises(ValueError, match="plain .* is not a part of a partitioned variable"):
            tf.train.init_from_checkpoint(path, {"enc/emb": [plain]})


# -- warm_start ------------------------------------------------------------------------------
@pytest.mark.parametrize("wanted", ["enc/.*", "enc/emb", ["enc/emb"], "ENC_LIST"])
def test_warm_start_partitioned(tmp_path, wanted):
    path = _save(tmp_path)
    with tf.Graph().as_default():
        pv = _new("enc/emb")
        plain = tf.get_variable("enc/plain", [5, 2], initializer=tf.zeros_initializer())
        tf.train.warm_start(path, vars_to_warm_start=list(pv) if wanted == "ENC_LIST" else wanted)
        _check_parts(_run_parts(pv), VALUE)
        with tf.Session() as sess:
            sess.run(plain.initializer)
            warmed = wanted == "enc/.*"
            np.testing.assert_array_equal(sess.run(plain), VALUE + 100 if warmed else 0 * VALUE)


def test_warm_start_names_are_tensor_names_and_prev_names_whole(tmp_path):
    path = _save(tmp_path)
    with tf.Graph().as_default():
        pv = _new("enc/emb")
        # As TF's get_collection(scope=): matched against "enc/emb/part_0:0": nothing here.
        tf.train.warm_start(path, vars_to_warm_start="enc/emb$")
        assert not np.any(np.concatenate(_run_parts(pv)))
    with tf.Graph().as_default():
        pv = _new("new/emb")
        a = tf.get_variable("a", [5, 2], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [5, 2], initializer=tf.zeros_initializer())
        tf.train.warm_start(path, "new/|a|b", var_name_to_prev_var_name={
            "new/emb": "enc/emb", "a": "enc/plain", "b": "enc/plain"})  # one name twice
        _check_parts(_run_parts(pv), VALUE)
        with tf.Session() as sess:
            sess.run([a.initializer, b.initializer])
            for v in (a, b):
                np.testing.assert_array_equal(sess.run(v), VALUE + 100)
    with tf.Graph().as_default():
        pv = _new("new/emb")
        tf.get_variable("enc/plain", [5, 2])
        with pytest.raises(ValueError, match="var_name_to_prev_var_name that were not used: "
                                             r"\{'x'\}"):
            tf.train.warm_start(path, "enc/", var_name_to_prev_var_name={"x": "enc/emb"})
        with pytest.raises(ValueError, match=r"must be all `Variable` or all `str`"):
            tf.train.warm_start(path, ["enc/", list(pv)[0]])


# -- side by side with TensorFlow -------------------------------------------------------------
def _tf_checkpoint(tf1, tmp_path):
    with tf1.Graph().as_default():
        tf1.get_variable("enc/emb", initializer=tf1.constant(VALUE),
                         partitioner=tf1.fixed_size_partitioner(2))
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            return tf1.train.Saver().save(sess, str(tmp_path / "tf_m"))


def _both(tf1, path, build, start):
    """The new variable's value after ``start`` under TensorFlow and under minitf."""
    out = []
    for lib in (tf1, tf):
        with lib.Graph().as_default():
            pv = build(lib)
            start(lib, pv)
            with lib.Session() as sess:
                sess.run(lib.global_variables_initializer())
                out.append(np.concatenate([sess.run(p) for p in pv]))
    return out


@pytest.mark.parametrize("form", ["scope", "name", "parts", "warm_start", "repartition"])
def test_against_tensorflow(tmp_path, form):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    path = _tf_checkpoint(tf1, tmp_path)
    name = "enc/emb" if form == "warm_start" else "new/emb"
    parts = 3 if form == "repartition" else 2

    def build(lib):
        return lib.get_variable(name, [5, 2], initializer=lib.zeros_initializer(),
                                partitioner=lib.fixed_size_partitioner(parts))

    def start(lib, pv):
        if form == "warm_start":
            lib.train.warm_start(path, vars_to_warm_start="enc/.*")
            return
        amap = {"scope": {"enc/": "new/"}, "parts": {"enc/emb": list(pv)}}.get(
            form, {"enc/emb": "new/emb"})
        lib.train.init_from_checkpoint(path, amap)

    theirs, ours = _both(tf1, path, build, start)
    np.testing.assert_array_equal(theirs, VALUE)
    np.testing.assert_array_equal(ours, theirs)


def test_shape_mismatch_against_tensorflow(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    path = _tf_checkpoint(tf1, tmp_path)
    messages = []
    for lib in (tf1, tf):
        with lib.Graph().as_default():
            lib.get_variable("new/emb", [6, 2], initializer=lib.zeros_initializer(),
                             partitioner=lib.fixed_size_partitioner(2))
            lib.train.init_from_checkpoint(path, {"enc/emb": "new/emb"})  # no error yet
            with lib.Session() as sess, pytest.raises(lib.errors.InvalidArgumentError) as e:
                sess.run(lib.global_variables_initializer())
            messages.append(" ".join(str(e.value).replace(", ", ",").split()))
    want = ("tensor_name = enc/emb; shape in shape_and_slice spec [6,2] does not match the "
            "shape stored in checkpoint: [5,2]")
    assert all(want in m for m in messages), messages
