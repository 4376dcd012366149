"""tf.contrib.training.HParams: expectations written by hand from TF 1.15's documented
behaviour (TF 2.21 has no HParams to compare with)."""

import json

import pytest

import minitf as tf

HParams = tf.contrib.training.HParams


def _hp():
    return HParams(learning_rate=0.1, num_layers=3, act="relu", use_bias=True,
                   sizes=[1, 2, 3], rates=[0.5, 0.25], names=["a", "b"], flags=[True, False])


def test_constructor_attributes_values_and_contains():
    hp = _hp()
    assert hp.learning_rate == 0.1 and hp.num_layers == 3 and hp.act == "relu"
    assert hp.sizes == [1, 2, 3] and hp.use_bias is True
    assert hp.values() == {"learning_rate": 0.1, "num_layers": 3, "act": "relu",
                           "use_bias": True, "sizes": [1, 2, 3], "rates": [0.5, 0.25],
                           "names": ["a", "b"], "flags": [True, False]}
    assert "act" in hp and "nope" not in hp and "values" not in hp
    assert HParams().values() == {}


def test_add_hparam_refuses_taken_and_empty():
    hp = _hp()
    hp.add_hparam("dropout", 0.5)
    assert hp.dropout == 0.5 and "dropout" in hp
    with pytest.raises(ValueError, match="Hyperparameter name is reserved: act"):
        hp.add_hparam("act", "tanh")
    with pytest.raises(ValueError, match="Hyperparameter name is reserved: values"):
        hp.add_hparam("values", 1)
    with pytest.raises(ValueError, match="Hyperparameter name is reserved: parse"):
        HParams(parse=1)
    with pytest.raises(ValueError, match="Multi-valued hyperparameters cannot be empty: e"):
        hp.add_hparam("e", [])
    hp.add_hparam("nothing", None)  # a None hparam takes any later value
    hp.set_hparam("nothing", "x")
    assert hp.nothing == "x"


def test_set_hparam_checks_and_converts_types():
    hp = _hp()
    hp.set_hparam("learning_rate", 1)  # int -> float
    assert hp.learning_rate == 1.0 and isinstance(hp.learning_rate, float)
    hp.set_hparam("rates", [1, 2])
    assert hp.rates == [1.0, 2.0] and all(isinstance(r, float) for r in hp.rates)
    hp.set_hparam("num_layers", 5)
    assert hp.num_layers == 5
    with pytest.raises(ValueError, match="Could not cast hparam 'num_layers' of type "
                                         "'<class 'int'>' from value 2.5"):
        hp.set_hparam("num_layers", 2.5)
    with pytest.raises(ValueError, match="Could not cast hparam 'use_bias'"):
        hp.set_hparam("use_bias", 1)
    with pytest.raises(ValueError, match="Could not cast hparam 'num_layers'"):
        hp.set_hparam("num_layers", True)
    with pytest.raises(ValueError, match="Could not cast hparam 'act' of type "
                                         "'<class 'str'>' from value 3"):
        hp.set_hparam("act", 3)
    with pytest.raises(ValueError, match="Could not cast hparam 'learning_rate'"):
        hp.set_hparam("learning_rate", "0.1")
    with pytest.raises(ValueError, match="Must not pass a list for single-valued parameter: "
                                         "act"):
        hp.set_hparam("act", ["x"])
    with pytest.raises(ValueError, match=r"Must pass a list for multi-valued parameter: sizes\."):
        hp.set_hparam("sizes", 4)
    with pytest.raises(KeyError):
        hp.set_hparam("missing", 1)
    assert hp.learning_rate == 1.0  # failed sets left values alone


def test_del_hparam():
    hp = _hp()
    hp.del_hparam("act")
    assert "act" not in hp and not hasattr(hp, "act") and "act" not in hp.values()
    hp.del_hparam("act")  # nothing to remove: no error
    hp.add_hparam("act", 7)  # the name is free again, with a new type
    assert hp.act == 7


def test_parse_grammar():
    hp = _hp()
    got = hp.parse("learning_rate=0.3, num_layers=4,act=tanh,use_bias=false,"
                   "sizes=[4, 5 6],rates=[1e-3],names=[x,y,z],flags=[true,0,1]")
    assert got is hp
    assert hp.values() == {"learning_rate": 0.3, "num_layers": 4, "act": "tanh",
                           "use_bias": False, "sizes": [4, 5, 6], "rates": [0.001],
                           "names": ["x", "y", "z"], "flags": [True, False, True]}
    hp.parse("use_bias=True")
    assert hp.use_bias is True
    hp.parse("use_bias=0")
    assert hp.use_bias is False
    hp.parse("learning_rate=2")  # an int where a float is wanted: parsed as a float
    assert hp.learning_rate == 2.0 and isinstance(hp.learning_rate, float)
    hp.parse("")  # nothing to override
    assert hp.num_layers == 4


def test_parse_errors_name_the_hparam():
    hp = _hp()
    with pytest.raises(ValueError, match="Could not parse hparam 'num_layers' of type 'int' "
                                         "with value '1.5' in num_layers=1.5"):
        hp.parse("num_layers=1.5")
    with pytest.raises(ValueError, match="Could not parse hparam 'use_bias' of type 'bool' "
                                         "with value 'yes'"):
        hp.parse("use_bias=yes")
    with pytest.raises(ValueError, match="Could not parse hparam 'sizes' of type 'int' with "
                                         "value '1,x'"):
        hp.parse("sizes=[1,x]")
    with pytest.raises(ValueError, match="Unknown hyperparameter type for bogus"):
        hp.parse("bogus=1")
    with pytest.raises(ValueError, match="Malformed hyperparameter value: =3"):
        hp.parse("=3")
    with pytest.raises(ValueError, match="Multiple assignments to variable 'num_layers'"):
        hp.parse("num_layers=1,num_layers=2")
    with pytest.raises(ValueError, match="Must not pass a list for single-valued parameter: "
                                         "num_layers"):
        hp.parse("num_layers=[1,2]")
    with pytest.raises(ValueError, match=r"Must pass a list for multi-valued parameter: sizes\."):
        hp.parse("sizes=3")
    with pytest.raises(ValueError, match="Assignment of a list to a list index."):
        hp.parse("sizes[1]=[3]")
    with pytest.raises(ValueError, match=r"Multiple assignments to variable 'sizes\[1\]'"):
        hp.parse("sizes[1]=3,sizes[1]=4")
    # TF 1.15 parses ``name[i]=v`` but its override_from_dict then refuses the index map
    with pytest.raises(ValueError, match="Must pass a list for multi-valued parameter"):
        hp.parse("sizes[1]=3")


def test_parse_values_function():
    from minitf.contrib.training import parse_values

    types = {"a": int, "b": float, "c": str}
    assert parse_values("a=1,b=[1,2.5],c=x,a2=3", {**types, "a2": int}) == {
        "a": 1, "b": [1.0, 2.5], "c": "x", "a2": 3}
    assert parse_values("a[0]=1,a[2]=5", types) == {"a": {0: 1, 2: 5}}
    assert parse_values("z=1,a=2", types, ignore_unknown=True) == {"a": 2}


def test_json_round_trip_and_override_from_dict():
    hp = _hp()
    text = hp.to_json(sort_keys=True)
    assert text == json.dumps(hp.values(), sort_keys=True)
    assert list(json.loads(text)) == sorted(hp.values())
    assert hp.to_json(indent=2, separators=(",", ": ")).startswith('{\n  "learning_rate": 0.1,')
    other = HParams(learning_rate=0.0, num_layers=0, act="", use_bias=False, sizes=[0],
                    rates=[0.0], names=[""], flags=[False])
    assert other.parse_json(text) is other
    assert other.values() == hp.values()
    with pytest.raises(ValueError, match="Could not cast hparam 'num_layers'"):
        other.parse_json('{"num_layers": 1.5}')
    with pytest.raises(KeyError):
        other.parse_json('{"unknown": 1}')
    assert other.override_from_dict({"act": "elu", "sizes": [9]}) is other
    assert other.act == "elu" and other.sizes == [9]
    assert other.set_from_map({"act": "selu"}).act == "selu"


def test_get_with_defaults():
    hp = _hp()
    assert hp.get("act") == "relu" and hp.get("act", "x") == "relu"
    assert hp.get("missing") is None and hp.get("missing", 5) == 5
    assert hp.get("learning_rate", 1) == 0.1  # an int default is compatible with a float
    assert hp.get("sizes", [7]) == [1, 2, 3]
    with pytest.raises(ValueError, match="Hparam 'num_layers' of type '<class 'int'>' is "
                                         "incompatible with default=0.5"):
        hp.get("num_layers", 0.5)
    with pytest.raises(ValueError, match="Hparam 'sizes' of type 'list<<class 'int'>>' is "
                                         "incompatible with default=3"):
        hp.get("sizes", 3)
    with pytest.raises(ValueError, match="incompatible with default=\\['a'\\]. Could not cast"):
        hp.get("sizes", ["a"])


def test_str_repr_and_model_structure():
    hp = HParams(b=2, a="x", c=[1.5])
    assert str(hp) == "b=2,a=x,c=[1.5]"
    assert repr(hp) == "HParams([('a', 'x'), ('b', 2), ('c', [1.5])])"
    assert hp.get_model_structure() is None
    structure = object()
    hp2 = HParams(model_structure=structure, a=1)
    assert hp2.get_model_structure() is structure and hp2.values() == {"a": 1}
    hp2.set_model_structure(None)
    assert hp2.get_model_structure() is None
    with pytest.raises(ValueError, match="HParamDef"):
        HParams(hparam_def=b"\x0a\x00")


def test_gpt2_style_usage():
    """GPT-2's model.default_hparams() then hparams.override_from_dict(json.load(f))."""
    hparams = HParams(n_vocab=0, n_ctx=1024, n_embd=768, n_head=12, n_layer=12)
    hparams.override_from_dict({"n_vocab": 50257, "n_ctx": 1024, "n_embd": 768,
                                "n_head": 12, "n_layer": 12})
    assert hparams.n_vocab == 50257 and hparams.n_embd // hparams.n_head == 64


def test_namespace_reexports_the_training_loop_and_evaluation():
    from minitf.contrib import training_eval, training_loop

    assert tf.contrib.training.create_train_op is training_loop.create_train_op
    assert tf.contrib.training.evaluate_once is training_eval.evaluate_once
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        tf.contrib.training.nope  # noqa: B018
