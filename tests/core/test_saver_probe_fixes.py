"""tf.train.Saver, the checkpoint readers and the Scaffold against TF 1.x where a differential
probe found them apart: write_state=False records and deletes nothing, old checkpoints go one
per save (TF's queue), save checks its arguments before writing, an empty Saver writes only
its .meta, the SaverDef says sharded, readers of a directory without a checkpoint raise TF's
ValueError, and the GraphKeys / Scaffold.get_or_default / ready_for_local_init_op TF has."""

from __future__ import annotations

import contextlib
import io
import json
import os
import time

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json


def _prefixes(d) -> list:
    """The checkpoint prefixes in ``d`` (file names up to their first dot), either format."""
    return sorted({f.split(".")[0] for f in os.listdir(d) if f != "checkpoint"})


@pytest.fixture
def sess():
    v = tf.Variable(1.0, name="v")
    with tf.Session() as s:
        s.run(v.initializer)
        yield s


def test_write_state_false_neither_records_nor_deletes(tmp_path, sess):
    d = str(tmp_path)
    saver = tf.train.Saver(max_to_keep=1)
    saver.save(sess, d + "/a", write_state=False)
    saver.save(sess, d + "/b", write_state=False)
    assert sorted(os.listdir(d)) == ["a.meta", "a.npz", "b.meta", "b.npz"]  # no state file
    assert saver.last_checkpoints == []
    saver.save(sess, d + "/c")  # the first one recorded: nothing to delete yet
    assert saver.last_checkpoints == [d + "/c"] and _prefixes(d) == ["a", "b", "c"]


def test_recovered_checkpoints_go_one_per_save(tmp_path, sess):
    d = str(tmp_path)
    keep_all = tf.train.Saver(max_to_keep=None)
    old = [keep_all.save(sess, f"{d}/m-{i}", write_meta_graph=False) for i in range(4)]
    assert keep_all.last_checkpoints == []  # max_to_keep None tracks nothing
    saver = tf.train.Saver(max_to_keep=2)
    saver.recover_last_checkpoints(old)
    saver.save(sess, d + "/m", global_step=9, write_meta_graph=False)
    # 5 recorded > 2: only the oldest (m-0) is dropped and deleted
    assert [os.path.basename(p) for p in saver.last_checkpoints] == ["m-1", "m-2", "m-3", "m-9"]
    assert _prefixes(d) == ["m-1", "m-2", "m-3", "m-9"]
    saver.save(sess, d + "/m", global_step=10, write_meta_graph=False)
    assert [os.path.basename(p) for p in saver.last_checkpoints] == ["m-2", "m-3", "m-9", "m-10"]
    assert _prefixes(d) == ["m-10", "m-2", "m-3", "m-9"]
    state = tf.train.get_checkpoint_state(d)
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == \
        ["m-2", "m-3", "m-9", "m-10"]


def test_set_last_checkpoints_are_never_deleted(tmp_path, sess):
    d = str(tmp_path)
    keep_all = tf.train.Saver(max_to_keep=None)
    old = [keep_all.save(sess, f"{d}/m-{i}", write_meta_graph=False) for i in range(2)]
    saver = tf.train.Saver(max_to_keep=1)
    saver.set_last_checkpoints(old)  # dated +inf, as TF's: dropped but kept on disk
    n = [saver.save(sess, f"{d}/n{i}", write_meta_graph=False) for i in range(3)]
    # save n0: [m-0 m-1 n0] drops m-0 (kept); n1: drops m-1 (kept); n2: drops n0 (deleted)
    assert saver.last_checkpoints == [n[1], n[2]]
    assert _prefixes(d) == ["m-0", "m-1", "n1", "n2"]


def test_keep_checkpoint_every_n_hours_with_times(tmp_path, sess):
    d = str(tmp_path)
    saver = tf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1.0)
    for p in ("a", "b"):
        saver.save(sess, f"{d}/{p}", write_meta_graph=False, write_state=False)
    now = time.time()
    saver.set_last_checkpoints_with_time([(d + "/a", 0.0), (d + "/b", now + 7200)])
    saver.save(sess, d + "/c", write_meta_graph=False)  # drops a: saved long ago, deleted
    assert _prefixes(d) == ["b", "c"]
    saver.save(sess, d + "/e", write_meta_graph=False)  # drops b: past the next hour, kept
    assert _prefixes(d) == ["b", "c", "e"] and saver.last_checkpoints == [d + "/c", d + "/e"]


def test_save_checks_arguments_before_writing(tmp_path, sess):
    d = str(tmp_path)
    saver = tf.train.Saver()
    with pytest.raises(ValueError, match="^'latest_filename' must not contain path components$"):
        saver.save(sess, d + "/x", latest_filename="sub/ck")
    with pytest.raises(ValueError, match=f"^'latest_filename' collides with 'save_path': "
                       f"'checkpoint' and '{d}/checkpoint'$"):
        saver.save(sess, d + "/checkpoint")
    with pytest.raises(ValueError, match="collides"):
        saver.save(sess, d + "/state", latest_filename="state")
    with pytest.raises(TypeError):  # a float step is fetched, and fails, as in TF
        saver.save(sess, d + "/y", global_step=3.0)
    with pytest.raises(TypeError, match="^'sess' must be a Session; None$"):
        saver.save(None, d + "/z")
    assert os.listdir(d) == []
    # A step given as a numpy integer or a tensor name is fine; a step suffix never collides.
    gs = tf.Variable(7, name="gs")
    sess.run(gs.initializer)
    assert saver.save(sess, d + "/checkpoint", global_step=np.int64(2)) == d + "/checkpoint-2"
    assert saver.save(sess, d + "/m", global_step="gs:0") == d + "/m-7"
    # A sharded Saver skips the check, as TF's (its files are never named 'checkpoint').
    assert tf.train.Saver(sharded=True).save(sess, d + "/checkpoint") == d + "/checkpoint"


def test_empty_saver_writes_only_meta_and_restores_nothing(tmp_path, sess):
    d = str(tmp_path)
    empty = tf.train.Saver([], allow_empty=True)
    assert empty.save(sess, d + "/e/m") is None
    assert sorted(os.listdir(d + "/e")) == ["m.meta"]
    assert empty.save(sess, d + "/m2", write_meta_graph=False) is None
    assert sorted(os.listdir(d)) == ["e"]
    assert tf.train.latest_checkpoint(d + "/e") is None
    empty.restore(sess, d + "/nothing_here")  # no checks at all, as TF's
    empty.restore(sess, None)


def test_saver_def_sharded_round_trips_through_meta(tmp_path):
    d = str(tmp_path)
    v = tf.Variable([1.0, 2.0], name="w")
    assert tf.train.Saver(sharded=True).saver_def.sharded is True
    assert tf.train.Saver().saver_def.sharded is False
    with tf.Session() as s:
        s.run(v.initializer)
        tf.train.Saver(sharded=True, write_version=tf.train.SaverDef.V2).save(
            s, d + "/m", global_step=1)
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(d + "/m-1.meta")
        assert saver.saver_def.sharded is True
        with tf.Session() as s:
            saver.restore(s, d + "/m-1")
            np.testing.assert_array_equal(s.run("w:0"), [1.0, 2.0])


@pytest.mark.parametrize("reader", ["list_variables", "load_checkpoint", "load_variable",
                                    "init_from_checkpoint"])
def test_readers_of_a_directory_without_checkpoint(tmp_path, reader):
    call = {"list_variables": lambda p: tf.train.list_variables(p),
            "load_checkpoint": lambda p: tf.train.load_checkpoint(p),
            "load_variable": lambda p: tf.train.load_variable(p, "v"),
            "init_from_checkpoint": lambda p: tf.train.init_from_checkpoint(p, {"/": "/"})}
    with pytest.raises(ValueError, match="^Couldn't find 'checkpoint' file or checkpoints in "
                       f"given directory {tmp_path}$"):
        call[reader](str(tmp_path))


def test_graph_keys_have_tf_values():
    assert {k: getattr(tf.GraphKeys, k) for k in [
        "READY_FOR_LOCAL_INIT_OP", "LOCAL_RESOURCES", "RESOURCES", "EVAL_STEP", "COND_CONTEXT",
        "WHILE_CONTEXT", "TRAINABLE_RESOURCE_VARIABLES"]} == {
        "READY_FOR_LOCAL_INIT_OP": "ready_for_local_init_op", "LOCAL_RESOURCES":
        "local_resources", "RESOURCES": "resources", "EVAL_STEP": "eval_step",
        "COND_CONTEXT": "cond_context", "WHILE_CONTEXT": "while_context",
        "TRAINABLE_RESOURCE_VARIABLES": "trainable_resource_variables"}


def test_scaffold_get_or_default():
    made = []
    first = tf.train.Scaffold.get_or_default("x", "my_key", lambda: made.append(1) or "op")
    assert first == "op" and tf.get_collection("my_key") == ["op"]
    again = tf.train.Scaffold.get_or_default("x", "my_key", lambda: made.append(1) or "other")
    assert again == "op" and made == [1]  # taken from the collection, not made again
    assert tf.train.Scaffold.get_or_default("y", "none_key", lambda: None) is None
    assert tf.get_collection("none_key") == []
    tf.add_to_collection("my_key", "op2")
    with pytest.raises(RuntimeError, match=r'"my_key".*tf.Scaffold\(x=item to use\)'):
        tf.train.Scaffold.get_or_default("x", "my_key", lambda: None)


def test_scaffold_ready_for_local_init_op_reports_global_variables():
    v = tf.Variable(1.0, name="v")
    loc = tf.Variable(2.0, name="loc", collections=[tf.GraphKeys.LOCAL_VARIABLES])
    scaffold = tf.train.Scaffold().finalize()
    ready_local = scaffold.ready_for_local_init_op
    assert tf.get_collection(tf.GraphKeys.READY_FOR_LOCAL_INIT_OP) == [ready_local]
    with tf.Session() as s:
        assert list(s.run(ready_local)) == [b"v"]  # the local variable is not asked for
        assert sorted(s.run(scaffold.ready_op)) == [b"loc", b"v"]
        s.run(v.initializer)
        assert list(s.run(ready_local)) == []
    # Single-process training is unchanged: the chief initializes, then runs local init.
    with tf.train.MonitoredSession(tf.train.ChiefSessionCreator(scaffold)) as s:
        assert s.run([v, loc]) == [1.0, 2.0]


# Side by side with TF: which checkpoints exist and what last_checkpoints holds.
_PROGRAM = """
import json, os, tempfile
if SIDE == "tf":
    import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()
else:
    import minitf as tf
def prefixes(d):
    return sorted({f.split(".")[0] for f in os.listdir(d) if f != "checkpoint"})
def base(ps):
    return [os.path.basename(p) for p in ps]
out = {}
d = tempfile.mkdtemp()
v = tf.Variable(1.0, name="v")
with tf.Session() as s:
    s.run(v.initializer)
    sv = tf.train.Saver(max_to_keep=1)
    sv.save(s, d + "/a", write_state=False); sv.save(s, d + "/b", write_state=False)
    out["write_state"] = [prefixes(d), sv.last_checkpoints, os.path.exists(d + "/checkpoint")]
    d = tempfile.mkdtemp()
    keep_all = tf.train.Saver(max_to_keep=None)
    old = [keep_all.save(s, f"{d}/m-{i}", write_meta_graph=False) for i in range(4)]
    sv = tf.train.Saver(max_to_keep=2)
    sv.recover_last_checkpoints(old)
    for step in (9, 10):
        sv.save(s, d + "/m", global_step=step, write_meta_graph=False)
        out[f"recovered{step}"] = [base(sv.last_checkpoints), prefixes(d)]
    sv2 = tf.train.Saver(max_to_keep=1)
    sv2.set_last_checkpoints(old[2:])
    for i in range(3):
        sv2.save(s, f"{d}/n{i}", write_meta_graph=False)
    out["set_last"] = [base(sv2.last_checkpoints), prefixes(d)]
    d = tempfile.mkdtemp()
    errors = []
    for kw in [dict(save_path=d + "/x", latest_filename="sub/ck"),
               dict(save_path=d + "/checkpoint"), dict(save_path=d + "/y", global_step=3.0)]:
        try:
            tf.train.Saver().save(s, **kw)
        except Exception as e:
            errors.append(type(e).__name__ + ("" if kw.get("global_step") else
                                              ": " + str(e).replace(d, "D")))
    try:
        tf.train.Saver().save(None, d + "/z")
    except TypeError as e:
        errors.append(str(e))
    out["errors"] = [errors, os.listdir(d)]
    empty = tf.train.Saver([], allow_empty=True)
    out["empty"] = [empty.save(s, d + "/e/m"), sorted(os.listdir(d + "/e"))]
    empty.restore(s, d + "/nothing_here")
    out["sharded"] = tf.train.Saver(sharded=True).saver_def.sharded
print(json.dumps(out))
"""


def test_saver_matches_tf():
    theirs = tf_side_json('SIDE = "tf"\n' + _PROGRAM, legacy_keras=False)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(_PROGRAM, "program", "exec"), {"SIDE": "minitf"})
    ours = json.loads(buf.getvalue().splitlines()[-1])
    assert ours["write_state"] == [["a", "b"], [], False]  # hand-checked, as the tests above
    assert ours["recovered9"] == [["m-1", "m-2", "m-3", "m-9"], ["m-1", "m-2", "m-3", "m-9"]]
    assert theirs == ours
