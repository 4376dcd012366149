"""TF 1.x initializers' get_config / from_config: the constructor's arguments with the dtype
by name, checked against hand-written dicts and against tf.compat.v1's."""

import pytest

import minitf as tf

CASES = {
    "zeros": (lambda t: t.zeros_initializer(), {"dtype": "float32"}),
    "ones": (lambda t: t.ones_initializer(dtype=t.float64), {"dtype": "float64"}),
    "constant": (lambda t: t.constant_initializer(2.0), {"value": 2.0, "dtype": "float32"}),
    "normal": (lambda t: t.random_normal_initializer(1.0, 2.0, seed=4),
               {"mean": 1.0, "stddev": 2.0, "seed": 4, "dtype": "float32"}),
    "uniform": (lambda t: t.random_uniform_initializer(-1, 1),
                {"minval": -1, "maxval": 1, "seed": None, "dtype": "float32"}),
    "truncated": (lambda t: t.truncated_normal_initializer(0.0, 0.5, seed=3),
                  {"mean": 0.0, "stddev": 0.5, "seed": 3, "dtype": "float32"}),
    "glorot": (lambda t: t.glorot_uniform_initializer(), {"seed": None, "dtype": "float32"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_lists_the_arguments_and_rebuilds(name):
    make, want = CASES[name]
    init = make(tf)
    assert init.get_config() == want
    again = type(init).from_config(init.get_config())
    assert type(again) is type(init) and again.get_config() == want


def test_rebuilt_initializer_gives_the_same_values():
    init = tf.random_normal_initializer(1.0, 2.0, seed=4)
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        a = init([3])
        b = type(init).from_config(init.get_config())([3])
        with tf.Session() as sess:
            got_a, got_b = sess.run([a, b])
    assert got_a.tolist() == got_b.tolist()


@pytest.mark.parametrize("name", sorted(CASES))
def test_configs_match_tensorflow(name):
    tf1 = pytest.importorskip("tensorflow").compat.v1
    make, _ = CASES[name]
    assert make(tf).get_config() == make(tf1).get_config()
