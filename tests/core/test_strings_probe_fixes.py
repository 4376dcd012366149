"""tf.strings details a probe found differing from TF 2.21's compat.v1: join converts its list
as the op does (TF's TypeError for a non-string tensor, Python values named inputs_<i>), and
Substr's shape function wants pos and len of one rank at graph construction."""

import pytest

import minitf as tf


def test_join_refuses_a_non_string_tensor_with_tfs_type_error():
    with pytest.raises(TypeError, match=r"have types \[string, int32\] that do not match "
                                        r"expected type string"):
        tf.strings.join([tf.constant(["a"]), tf.constant([1])])
    out = tf.strings.join(["a", tf.constant(["b", "c"]), ["d", "e"]], separator="-", name="j")
    names = [op.name for op in tf.get_default_graph().get_operations()]
    assert names[-3:] == ["j/inputs_0", "j/inputs_2", "j"]
    with tf.Session() as sess:
        assert sess.run(out).tolist() == [b"a-b-d", b"a-c-e"]


def test_substr_pos_and_len_of_different_ranks_fail_at_build():
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        tf.strings.substr(["hello", "world"], [0, 1], 1)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        tf.strings.substr(["hello", "world"], [0, 1, 2], [1, 1, 1])
    out = tf.strings.substr([["hello", "world"]], [0, 1], [1, 2])  # pos/len broadcast on rows
    with tf.Session() as sess:
        assert sess.run(out).tolist() == [[b"h", b"or"]]
