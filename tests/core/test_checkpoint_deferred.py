"""Deferred restoration in tf.train.Checkpoint (core/train/checkpoint_restore.py): restore()
called before some of the objects' variables exist (a module's variables built later, the
optimizer's slots and beta powers made by minimize afterwards).

TF 2.21's graph mode (tf.compat.v1, no process-wide switches) restores such variables only when
the status's restore ops run: ``run_restore_ops`` / ``initialize_or_restore`` after they exist.
Its restore-on-create (``_preload_simple_restoration``, the checkpoint value as the new
variable's initial value) is taken only when executing eagerly, so in a graph
``global_variables_initializer()`` alone gives the initializers' values, save_counter 0
included. minitf does the same; the side-by-side tests run each sequence in both.

TF-free tests compare with the values read from the session when the checkpoint was saved,
and with the initializers' values (hand-written); side-by-side tests (skipped without
TensorFlow) run the same sequences in tf.compat.v1 and across the two libraries' files.
"""

import numpy as np
import pytest

import minitf as tf

INIT = 5.0  # the initial value the rebuilt model's variables get


def _build(lib, m, opt, init):
    """Variables assigned to module ``m`` (one by tf.Variable, one by get_variable in a
    submodule) and an Adam step over them: slots and beta powers made by minimize."""
    m.w = lib.Variable(np.full([2], init, np.float32), name="w")
    m.sub = lib.Module(name="sub")
    m.sub.b = lib.get_variable("b", [3], initializer=lib.constant_initializer(init))
    loss = lib.reduce_sum(m.w ** 2) + lib.reduce_sum(m.sub.b ** 2)
    return opt.minimize(loss)


def _fetches(lib, m, opt, ck):
    graph = lib.get_default_graph()
    return [m.w, m.sub.b, opt.get_slot(m.w, "m"), opt.get_slot(m.sub.b, "v"),
            opt._get_non_slot_variable("beta1_power", graph), ck.save_counter]


def _saved(lib, path):
    """Trains two steps from 1.0 and saves; returns (path, the saved values)."""
    with lib.Graph().as_default():
        m, opt = lib.Module(name="m"), lib.train.AdamOptimizer(0.1)
        step = _build(lib, m, opt, 1.0)
        ck = lib.train.Checkpoint(model=m, opt=opt)
        with lib.Session() as s:
            s.run(lib.global_variables_initializer())
            s.run(step)
            s.run(step)
            p = ck.save(path, session=s)
            return p, s.run(_fetches(lib, m, opt, ck))


def _deferred(lib, path, mode):
    """restore() first, then build the model and optimizer, then run ``mode``; returns the
    values and whether assert_consumed passed before and after the build."""
    with lib.Graph().as_default():
        m, opt = lib.Module(name="m"), lib.train.AdamOptimizer(0.1)
        ck = lib.train.Checkpoint(model=m, opt=opt)
        st = ck.restore(path)
        consumed = []
        for _ in range(2):
            try:
                st.assert_consumed()
                consumed.append(True)
            except AssertionError:
                consumed.append(False)
            if len(consumed) == 1:
                with lib.Session() as s:
                    if mode.startswith("restore_ops_before"):
                        st.run_restore_ops(s)  # nothing of the model exists yet
                _build(lib, m, opt, INIT)
        with lib.Session() as s:
            if mode == "initializer_only" or mode.startswith("restore_ops_before"):
                s.run(lib.global_variables_initializer())
            if mode in ("restore_ops_after", "restore_ops_before_and_after"):
                s.run(lib.global_variables_initializer())
                st.run_restore_ops(s)
            if mode == "initialize_or_restore":
                st.initialize_or_restore(s)
            return s.run(_fetches(lib, m, opt, ck)), consumed


INITIAL = [np.full([2], INIT), np.full([3], INIT), np.zeros([2]), np.zeros([3]), 0.9, 0]


def _assert_values(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


@pytest.mark.parametrize("mode", ["initializer_only", "restore_ops_before"])
def test_initializer_alone_gives_initial_values(tmp_path, mode):
    p, _ = _saved(tf, str(tmp_path / "ck"))
    got, consumed = _deferred(tf, p, mode)
    _assert_values(got, INITIAL)
    assert consumed == [False, True]


@pytest.mark.parametrize("mode", ["restore_ops_after", "initialize_or_restore",
                                  "restore_ops_before_and_after"])
def test_restore_ops_after_the_build_restore_everything(tmp_path, mode):
    p, saved = _saved(tf, str(tmp_path / "ck"))
    assert saved[-1] == 1 and saved[4] == pytest.approx(0.9 ** 3)  # one save, beta1 ** 3
    got, consumed = _deferred(tf, p, mode)
    _assert_values(got, saved)
    assert consumed == [False, True]


def test_partly_built_model_restores_old_and_new_variables(tmp_path):
    """Variables that existed at restore() and ones made after it are restored together;
    a variable the checkpoint lacks is initialized by initialize_or_restore."""
    p, saved = _saved(tf, str(tmp_path / "ck"))
    with tf.Graph().as_default():
        m, opt = tf.Module(name="m"), tf.train.AdamOptimizer(0.1)
        m.w = tf.Variable(np.zeros([2], np.float32), name="w")
        ck = tf.train.Checkpoint(model=m, opt=opt)
        st = ck.restore(p)
        with pytest.raises(AssertionError, match="Unresolved object"):
            st.assert_consumed()
        st.assert_existing_objects_matched()
        m.sub = tf.Module(name="sub")
        m.sub.b = tf.get_variable("b", [3], initializer=tf.zeros_initializer())
        m.extra = tf.Variable(42.0, name="extra")
        opt.minimize(tf.reduce_sum(m.w ** 2) + tf.reduce_sum(m.sub.b ** 2))
        with pytest.raises(AssertionError, match="not bound to checkpointed values"):
            st.assert_existing_objects_matched()
        with tf.Session() as s:
            st.initialize_or_restore(s)
            np.testing.assert_array_equal(s.run(m.w), saved[0])
            np.testing.assert_array_equal(s.run(m.sub.b), saved[1])
            np.testing.assert_array_equal(s.run(opt.get_slot(m.w, "m")), saved[2])
            assert s.run(m.extra) == 42.0


# -- side by side with TensorFlow ------------------------------------------------------------------
MODES = ["initializer_only", "restore_ops_before", "restore_ops_after",
         "initialize_or_restore", "restore_ops_before_and_after"]


@pytest.mark.parametrize("mode", MODES)
def test_tf_same_sequence_same_values(tmp_path, mode):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    tp, tf_saved = _saved(tf1, str(tmp_path / "t" / "ck"))
    mp, saved = _saved(tf, str(tmp_path / "m" / "ck"))
    _assert_values(saved, tf_saved)
    theirs, tf_consumed = _deferred(tf1, tp, mode)
    ours, consumed = _deferred(tf, mp, mode)
    _assert_values(ours, theirs)
    assert consumed == tf_consumed


@pytest.mark.parametrize("mode", ["initializer_only", "initialize_or_restore"])
def test_tf_deferred_restore_across_libraries(tmp_path, mode):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    tp, tf_saved = _saved(tf1, str(tmp_path / "t" / "ck"))
    mp, saved = _saved(tf, str(tmp_path / "m" / "ck"))
    want = INITIAL if mode == "initializer_only" else saved
    _assert_values(_deferred(tf1, mp, mode)[0], want)  # TF, deferred, from minitf's file
    want = INITIAL if mode == "initializer_only" else tf_saved
    _assert_values(_deferred(tf, tp, mode)[0], want)  # and minitf from TF's


# -- a tf.layers layer built after restore() ------------------------------------------------------
def _layer_run(lib, dense, path, mode):
    """A Dense layer (kernel from ``INIT``) built, with its Adam slots, after restore()."""
    with lib.Graph().as_default():
        layer = dense(2, name="d", kernel_initializer=lib.constant_initializer(INIT))
        opt = lib.train.AdamOptimizer(0.1)
        ck = lib.train.Checkpoint(model=layer, opt=opt)
        st = ck.restore(path) if path else None
        x = lib.placeholder(lib.float32, [None, 3])
        step = opt.minimize(lib.reduce_sum(layer(x) ** 2))
        with lib.Session() as s:
            if st is None:  # the run that makes the checkpoint: one step from INIT
                s.run(lib.global_variables_initializer())
                s.run(step, {x: np.ones([1, 3], np.float32)})
                s.run(layer.kernel.assign(layer.kernel * 0.5))
                return ck.save(mode, session=s)
            if mode == "initialize_or_restore":
                st.initialize_or_restore(s)
            else:
                s.run(lib.global_variables_initializer())
            return s.run([layer.kernel, layer.bias, opt.get_slot(layer.kernel, "m")])


def test_layer_built_after_restore(tmp_path):
    p = _layer_run(tf, tf.layers.Dense, None, str(tmp_path / "ck"))
    kernel, bias, m = _layer_run(tf, tf.layers.Dense, p, "initializer_only")
    np.testing.assert_array_equal(kernel, np.full([3, 2], INIT))  # its initializer's value
    np.testing.assert_array_equal(m, np.zeros([3, 2]))
    kernel, bias, m = _layer_run(tf, tf.layers.Dense, p, "initialize_or_restore")
    # Adam's first step moves each weight by lr (0.1) against its positive gradient; halved
    np.testing.assert_allclose(kernel, np.full([3, 2], (INIT - 0.1) * 0.5), rtol=1e-6)
    np.testing.assert_allclose(bias, np.full([2], -0.1), rtol=1e-6)
    assert (m > 0).all()


@pytest.mark.parametrize("mode", ["initializer_only", "initialize_or_restore"])
def test_tf_layer_built_after_restore(tmp_path, mode):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    pytest.importorskip("tf_keras")
    from tf_keras.src.legacy_tf_layers import core as legacy_layers

    tp = _layer_run(tf1, legacy_layers.Dense, None, str(tmp_path / "t" / "ck"))
    mp = _layer_run(tf, tf.layers.Dense, None, str(tmp_path / "m" / "ck"))
    theirs = _layer_run(tf1, legacy_layers.Dense, tp, mode)
    _assert_values(_layer_run(tf, tf.layers.Dense, mp, mode), theirs)
    _assert_values(_layer_run(tf, tf.layers.Dense, tp, mode), theirs)  # TF's file in minitf
