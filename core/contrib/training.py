"""``tf.contrib.training.HParams`` (TF 1.x): named, typed hyperparameters (GPT-2 and
tensor2tensor build their configurations with it).

Each hyperparameter's type is fixed by its first value (for a list, by its first element), and
later values are checked and converted against it: an int is accepted for a float (and becomes
one), a float is refused for an int, bools never mix with numbers, strings never with
non-strings. ``parse`` reads TF's override grammar ``a=1,b=[1,2],c=x`` (lists in brackets,
``true``/``false`` or an integer for bools, ``name[i]=v`` clauses recognised). Behaviour and
messages follow TF 1.15; the HParamDef protocol buffer (``to_proto``/``hparam_def``) is not
provided.
"""

from __future__ import annotations

import json
import numbers
import re

from .training_buckets import (FeedingQueueRunner, GreedyLoadBalancingStrategy, bucket,
                               bucket_by_sequence_length, byte_size_load_fn)
from .training_eval import (StopAfterNEvalsHook, SummaryAtEndHook, checkpoints_iterator,
                            evaluate_once, evaluate_repeatedly, get_or_create_eval_step,
                            wait_for_new_checkpoint)
from .training_loop import (add_gradients_summaries, clip_gradient_norms, clip_gradient_norms_fn,
                            create_train_op, multiply_gradients, train)
from .training_sampling import (rejection_sample, resample_at_rate, stratified_sample,
                                weighted_resample)

__all__ = ["FeedingQueueRunner", "GreedyLoadBalancingStrategy", "HParams",
           "StopAfterNEvalsHook", "SummaryAtEndHook", "add_gradients_summaries", "bucket",
           "bucket_by_sequence_length", "byte_size_load_fn", "checkpoints_iterator",
           "clip_gradient_norms", "clip_gradient_norms_fn", "create_train_op",
           "evaluate_once", "evaluate_repeatedly", "get_or_create_eval_step",
           "multiply_gradients", "parse_values", "rejection_sample", "resample_at_rate",
           "stratified_sample", "train", "wait_for_new_checkpoint", "weighted_resample"]

# one clause: <name>[<index>]? = <value> | [<values>], followed by a comma or the end
PARAM_RE = re.compile(r"""
  (?P<name>[a-zA-Z][\w\.]*)      # variable name: "var" or "x"
  (\[\s*(?P<index>\d+)\s*\])?    # (optional) index: "1" or None
  \s*=\s*
  ((?P<val>[^,\[]*)              # single value: "a" or None
   |
   \[(?P<vals>[^\]]*)\])         # list of values: None or "1,2,3"
  ($|,\s*)""", re.VERBOSE)


def _parse_fail(name, var_type, value, values):
    raise ValueError(f"Could not parse hparam '{name}' of type '{var_type.__name__}' with "
                     f"value '{value}' in {values}")


def _reuse_fail(name, values):
    raise ValueError(f"Multiple assignments to variable '{name}' in {values}")


def _scalar_clause(name, parse, var_type, m_dict, values, results):
    """Records ``name=v`` or ``name[i]=v``; refuses a second assignment to the same target."""
    try:
        parsed = parse(m_dict["val"])
    except ValueError:
        _parse_fail(name, var_type, m_dict["val"], values)
    if not m_dict["index"]:
        if name in results:
            _reuse_fail(name, values)
        results[name] = parsed
        return
    if name in results and not isinstance(results[name], dict):
        _reuse_fail(name, values)
    slots = results.setdefault(name, {})
    index = int(m_dict["index"])
    if index in slots:
        _reuse_fail(f"{name}[{index}]", values)
    slots[index] = parsed


def _list_clause(name, parse, var_type, m_dict, values, results):
    """Records ``name=[v1,v2,...]`` (elements split on commas and spaces)."""
    if m_dict["index"] is not None:
        raise ValueError("Assignment of a list to a list index.")
    elements = [e for e in re.split("[ ,]", m_dict["vals"]) if e]
    if name in results:
        _reuse_fail(name, values)
    try:
        results[name] = [parse(e) for e in elements]
    except ValueError:
        _parse_fail(name, var_type, m_dict["vals"], values)


def parse_values(values, type_map, ignore_unknown=False):
    """TF's ``hparam.parse_values``: a ``name=value,...`` string as a dict of parsed values
    (a dict index -> value for ``name[i]=v`` clauses), each parsed with ``type_map[name]``."""
    results = {}
    pos = 0
    while pos < len(values):
        m = PARAM_RE.match(values, pos)
        if not m:
            raise ValueError(f"Malformed hyperparameter value: {values[pos:]}")
        pos = m.end()
        m_dict = m.groupdict()
        name = m_dict["name"]
        if name not in type_map:
            if ignore_unknown:
                continue
            raise ValueError(f"Unknown hyperparameter type for {name}")
        type_ = type_map[name]
        if type_ is bool:
            def parse(value, name=name, type_=type_):
                if value in ("true", "True"):
                    return True
                if value in ("false", "False"):
                    return False
                try:
                    return bool(int(value))
                except ValueError:
                    _parse_fail(name, type_, value, values)
        else:
            parse = type_
        if m_dict["val"] is not None:
            _scalar_clause(name, parse, type_, m_dict, values, results)
        elif m_dict["vals"] is not None:
            _list_clause(name, parse, type_, m_dict, values, results)
        else:
            _parse_fail(name, type_, "", values)
    return results


def _cast_to_type_if_compatible(name, param_type, value):
    """``value`` as ``param_type``; ValueError when TF would refuse the conversion."""
    fail_msg = f"Could not cast hparam '{name}' of type '{param_type}' from value {value!r}"
    if type(value) is param_type:
        return value
    if issubclass(param_type, type(None)):  # a None-valued hparam takes anything
        return value
    if issubclass(param_type, (str, bytes)) and not isinstance(value, (str, bytes)):
        raise ValueError(fail_msg)
    if issubclass(param_type, bool) != isinstance(value, bool):
        raise ValueError(fail_msg)
    if issubclass(param_type, numbers.Integral) and not isinstance(value, numbers.Integral):
        raise ValueError(fail_msg)
    if issubclass(param_type, numbers.Number) and not isinstance(value, numbers.Number):
        raise ValueError(fail_msg)
    return param_type(value)


class HParams:
    """TF's ``tf.contrib.training.HParams``: hyperparameters as typed attributes."""

    _HAS_DYNAMIC_ATTRIBUTES = True

    def __init__(self, hparam_def=None, model_structure=None, **kwargs):
        # name -> (type of the value or of the list's elements, is a list)
        self._hparam_types = {}
        self._model_structure = model_structure
        if hparam_def:
            raise ValueError("minitf's HParams does not read HParamDef protocol buffers; pass "
                             "the hyperparameters as keyword arguments")
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name, value):
        """Adds a hyperparameter; ValueError if ``name`` is taken (by an hparam or a method)."""
        if getattr(self, name, None) is not None:
            raise ValueError(f"Hyperparameter name is reserved: {name}")
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError(f"Multi-valued hyperparameters cannot be empty: {name}")
            self._hparam_types[name] = (type(value[0]), True)
        else:
            self._hparam_types[name] = (type(value), False)
        setattr(self, name, value)

    def set_hparam(self, name, value):
        """Sets an existing hyperparameter, checking and converting ``value`` to its type
        (KeyError if it does not exist)."""
        param_type, is_list = self._hparam_types[name]
        if isinstance(value, list):
            if not is_list:
                raise ValueError(f"Must not pass a list for single-valued parameter: {name}")
            setattr(self, name, [_cast_to_type_if_compatible(name, param_type, v)
                                 for v in value])
        else:
            if is_list:
                raise ValueError(f"Must pass a list for multi-valued parameter: {name}.")
            setattr(self, name, _cast_to_type_if_compatible(name, param_type, value))

    def del_hparam(self, name):
        """Removes a hyperparameter (nothing if there is none of that name)."""
        if hasattr(self, name):
            delattr(self, name)
            del self._hparam_types[name]

    def parse(self, values):
        """Overrides hyperparameters from a ``name=value,...`` string; returns self."""
        type_map = {name: t for name, (t, _) in self._hparam_types.items()}
        return self.override_from_dict(parse_values(values, type_map))

    def override_from_dict(self, values_dict):
        """Overrides hyperparameters from a dict (each through ``set_hparam``); returns self."""
        for name, value in values_dict.items():
            self.set_hparam(name, value)
        return self

    def set_from_map(self, values_map):
        """Deprecated in TF 1.15: ``override_from_dict``."""
        return self.override_from_dict(values_dict=values_map)

    def set_model_structure(self, model_structure):
        """Sets the model structure carried along with the hyperparameters."""
        self._model_structure = model_structure

    def get_model_structure(self):
        """The model structure given to the constructor or ``set_model_structure``."""
        return self._model_structure

    def to_json(self, indent=None, separators=None, sort_keys=False):
        """The hyperparameters as a JSON object (``json.dumps`` options passed through)."""
        return json.dumps(self.values(), indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def parse_json(self, values_json):
        """Overrides hyperparameters from a JSON object string; returns self."""
        return self.override_from_dict(json.loads(values_json))

    def values(self):
        """The hyperparameters as a dict name -> value."""
        return {n: getattr(self, n) for n in self._hparam_types}

    def get(self, key, default=None):
        """The value of ``key``, or ``default`` when there is no such hyperparameter; a default
        of the wrong type (or list-ness) for an existing one is a ValueError."""
        if key not in self._hparam_types:
            return default
        if default is not None:
            param_type, is_param_list = self._hparam_types[key]
            type_str = f"list<{param_type}>" if is_param_list else str(param_type)
            fail_msg = (f"Hparam '{key}' of type '{type_str}' is incompatible with "
                        f"default={default}")
            is_default_list = isinstance(default, list)
            if is_param_list != is_default_list:
                raise ValueError(fail_msg)
            try:
                for value in (default if is_default_list else [default]):
                    _cast_to_type_if_compatible(key, param_type, value)
            except ValueError as e:
                raise ValueError(f"{fail_msg}. {e}") from None
        return getattr(self, key)

    def __contains__(self, key):
        return key in self._hparam_types

    def __str__(self):
        return ",".join(f"{key}={value}" for key, value in self.values().items())

    def __repr__(self):
        return f"{type(self).__name__}({sorted(self.values().items())})"
