"""tf.contrib's namespace and arg_scope: defaults, nesting, re-entry, explicit kwargs winning."""

import pytest

import minitf as tf
from minitf.contrib.arg_scope import (add_arg_scope, arg_scope, arg_scoped_arguments,
                                      current_arg_scope, has_arg_scope)


@add_arg_scope
def _op(x, a=1, b=2):
    return (x, a, b)


def _plain(x, a=1):
    return (x, a)


def test_defaults_nest_and_explicit_kwargs_win():
    with arg_scope([_op], a=5) as outer:
        assert _op(0) == (0, 5, 2)
        assert _op(0, a=7) == (0, 7, 2)
        with arg_scope([_op], b=9):
            assert _op(0) == (0, 5, 9)
        assert _op(0) == (0, 5, 2)
    assert _op(0) == (0, 1, 2)
    with arg_scope(outer):  # a yielded scope re-enters as it was
        assert _op(3) == (3, 5, 2)
    assert current_arg_scope() == {}


def test_scope_is_popped_when_the_body_raises():
    with pytest.raises(RuntimeError), arg_scope([_op], a=4):
        raise RuntimeError("boom")
    assert _op(0) == (0, 1, 2)


def test_bad_arguments_name_what_is_wrong():
    with pytest.raises(ValueError, match="_plain is not decorated with @add_arg_scope"):
        with arg_scope([_plain], a=2):
            pass
    with pytest.raises(TypeError, match="list/tuple or reused scope"), arg_scope(_op, a=2):
        pass
    with pytest.raises(ValueError, match="kwargs must be empty"), arg_scope({}, a=2):
        pass
    assert has_arg_scope(_op) and not has_arg_scope(_plain)
    assert arg_scoped_arguments(_op) == ("a", "b")


def test_contrib_namespace_names_what_it_provides():
    assert tf.contrib.keras is tf.keras
    with pytest.raises(AttributeError, match=r"'nccl'.*tf\.contrib\.\{[a-z_, ]*crf, "):
        tf.contrib.nccl  # noqa: B018


def test_matches_tf_slim_arg_scope():
    slim = pytest.importorskip("tf_slim")

    @slim.add_arg_scope
    def op(x, a=1, b=2):
        return (x, a, b)

    got = []
    for scope_mod, fn in ((slim, op), (None, _op)):
        use = scope_mod.arg_scope if scope_mod else arg_scope
        with use([fn], a=5) as sc:
            with use([fn], b=6):
                got.append((fn(0), fn(0, b=1)))
        with use(sc):
            got.append(fn(1))
    assert got[:2] == got[2:]
