"""tf.contrib.deprecated: tag-based summaries decoded with the Summary proto (hand values),
op names and collections as TF 1.15's logging_ops made them, the deprecation warning, bad
input; and the serialized bytes side by side with TensorFlow's raw summary ops."""

import numpy as np
import pytest

import minitf as tf
from tests.core.side_by_side import run, tf_run


def _parse(serialized):
    return tf.summary.Summary.FromString(serialized)


def test_scalar_summary_takes_tensors_of_tags_and_keeps_them_verbatim():
    with tf.Graph().as_default():
        with tf.name_scope("outer"):
            s = tf.contrib.deprecated.scalar_summary(["a b/c", "loss"], [1.5, 2.0])
        assert s.op.name == "outer/ScalarSummary" and s.op.type == "ScalarSummary"
        assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [s]
        got = _parse(run(s))
    # the tag is not cleaned nor prefixed by the name scope (tf.summary.scalar does both)
    assert [(v.tag, v.simple_value) for v in got.value] == [("a b/c", 1.5), ("loss", 2.0)]


def test_histogram_image_audio_tags_and_names():
    dep = tf.contrib.deprecated
    with tf.Graph().as_default():
        h = dep.histogram_summary("weights", tf.constant([1.0, 2.0, 2.0, 5.0]), name="h")
        im = dep.image_summary("pics", tf.zeros([3, 2, 2, 1]), max_images=2)
        au = dep.audio_summary("sound", tf.zeros([1, 8]), sample_rate=8000, max_outputs=1,
                               collections=["mine"])
        assert (h.op.name, im.op.name, au.op.name) == ("h", "ImageSummary", "AudioSummary")
        assert au.op.type == "AudioSummaryV2"
        unnamed = dep.histogram_summary("w2", [1.0], collections=[])
        assert unnamed.op.name == "HistogramSummary"  # the op type names the scope
        assert tf.get_collection("mine") == [au]
        assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [h, im]
        hv, iv, av = (_parse(x) for x in run([h, im, au]))
    assert hv.value[0].tag == "weights"
    assert (hv.value[0].histo.num, hv.value[0].histo.sum, hv.value[0].histo.max) == (4, 10, 5)
    assert [v.tag for v in iv.value] == ["pics/image/0", "pics/image/1"]
    assert iv.value[0].image.height == 2 and iv.value[0].image.colorspace == 1
    assert [v.tag for v in av.value] == ["sound/audio"]
    assert av.value[0].audio.sample_rate == 8000 and av.value[0].audio.length_frames == 8


def test_merge_summary_and_merge_all_summaries():
    dep = tf.contrib.deprecated
    with tf.Graph().as_default():
        assert dep.merge_all_summaries() is None
        a = dep.scalar_summary("a", 1.0)
        b = dep.scalar_summary("b", 2.0)
        dep.scalar_summary("c", 3.0, collections=["other"])
        m = dep.merge_summary([a, b], name="m")
        # TF 1.15 names the op inside a scope of the same name
        assert m.op.name == "m/m" and m.op.type == "MergeSummary"
        assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [a, b]
        every = dep.merge_all_summaries()
        assert every.op.name == "MergeSummary/MergeSummary"
        other = dep.merge_all_summaries(key="other")
        got = [[v.tag for v in _parse(x).value] for x in run([m, every, other])]
    assert got == [["a", "b"], ["a", "b"], ["c"]]


def test_deprecation_warning_is_logged_once(caplog):
    import logging

    from minitf.contrib import deprecated as dep
    from minitf.contrib import framework_deprecation

    framework_deprecation._WARNED.discard(dep.audio_summary.__wrapped__)
    with tf.Graph().as_default(), caplog.at_level(logging.WARNING, logger="minitf"):
        dep.audio_summary("a", tf.zeros([1, 4]), 100)
        dep.audio_summary("b", tf.zeros([1, 4]), 100)
    messages = [r.getMessage() for r in caplog.records if "audio_summary" in r.getMessage()]
    assert len(messages) == 1
    assert "is deprecated and will be removed after 2016-11-30" in messages[0]
    assert "Please switch to tf.summary.audio" in messages[0]
    assert "(deprecated)" in dep.histogram_summary.__doc__.splitlines()[0]


def test_bad_inputs():
    dep = tf.contrib.deprecated
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="minimum length 1"):
            dep.merge_summary([])
        with pytest.raises((TypeError, ValueError), match="string"):
            dep.scalar_summary(tf.constant(1.0), 1.0)
        s = dep.scalar_summary(["a", "b"], [1.0, 2.0, 3.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="same shape"):
            run(s)
        dup = dep.merge_summary([dep.scalar_summary("x", 1.0), dep.scalar_summary("x", 2.0)])
        with pytest.raises(tf.errors.InvalidArgumentError, match="x"):
            run(dup)
        with pytest.raises(tf.errors.InvalidArgumentError):
            run(dep.histogram_summary("h", [1.0, np.nan]))


def test_same_bytes_as_tensorflow():
    image = (np.arange(2 * 3 * 3 * 3) % 255).reshape(2, 3, 3, 3).astype(np.float32)
    want = tf_run(lambda tf1: [
        tf1.raw_ops.ScalarSummary(tags=["x", "y"], values=[1.0, 2.5]),
        tf1.raw_ops.HistogramSummary(tag="h", values=[1.0, 3.0, -2.0]),
        tf1.raw_ops.ImageSummary(tag="im", tensor=image, max_images=2)])
    dep = tf.contrib.deprecated
    with tf.Graph().as_default():
        got = run([dep.scalar_summary(["x", "y"], [1.0, 2.5]),
                   dep.histogram_summary("h", [1.0, 3.0, -2.0]),
                   dep.image_summary("im", image, max_images=2)])
    for g, w in zip(got[:2], want[:2]):
        assert _parse(g) == _parse(w)
    # PNG compressors differ: compare the images' tags, sizes and decoded pixels
    gi, wi = _parse(got[2]).value, _parse(want[2]).value
    assert [v.tag for v in gi] == [v.tag for v in wi] == ["im/image/0", "im/image/1"]
    with tf.Graph().as_default():
        pixels = run([tf.image.decode_png(v.image.encoded_image_string)
                      for v in list(gi) + list(wi)])
    for a, b in zip(pixels[:2], pixels[2:]):
        np.testing.assert_array_equal(a, b)
