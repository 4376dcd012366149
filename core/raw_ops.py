"""``tf.raw_ops``: one keyword-only function per registered op, as TensorFlow's namespace.

``tf.raw_ops.MatMul(a=x, b=y, transpose_a=True, name="mm")`` adds the op exactly as declared by
its OpDef: inputs by TF's argument names (a list for ``N*T`` and ``list(T)`` arguments), attrs by
name with their defaults, type attrs derived from the inputs. Nothing here is written per op: the
functions are generated from the registry (``opdef.registered()``) on first access, so an op
registered later is reachable too. Two facts OpDefs do not carry come from a data table taken
from TensorFlow's registry (``raw_ops_outputs``): the output argument names, which make the
namedtuple TF returns for a multi-output op, and TF's API renames of a few inputs and attrs
(``Sum(input, axis)`` where the GraphDef says ``reduction_indices``).

Return values follow TF's generated wrappers: the Operation for an op without outputs, the
Tensor for one output, a list when the only output argument is a list (Split, Unpack), and a
namedtuple named after the op (fields: TF's output names, a list field for a list output)
otherwise. Errors use TF's wording, which names the snake_case function (``mat_mul``).
"""

from __future__ import annotations

import collections
import inspect
import re

import numpy as np

from . import opdef as _opdef
from .apply_op import apply_op
from .raw_ops_outputs import KEYWORD_RENAMES, OUTPUTS

_FUNCTIONS: dict = {}
_RESULT_TYPES: dict = {}


def snake_name(op_type: str) -> str:
    """The Python name TF's op generator gives an op (``MatMul`` -> ``mat_mul``,
    ``Conv2D`` -> ``conv2d``): a joiner where lower case turns upper, or before an upper letter
    that starts a lower-case run. TF hides 21 of its generated functions behind a leading
    underscore (``_sum``, ``_abs``: names clashing with builtins in its gen modules); that
    bookkeeping is not copied, so their messages say ``sum`` where TF says ``_sum``."""
    out = []
    last = len(op_type) - 1
    for i, c in enumerate(op_type):
        if c.isupper() and i > 0 and op_type[i - 1] != "_" and (
                op_type[i - 1].islower() or (i < last and op_type[i + 1].islower())):
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def _output_fields(op_type: str) -> list[tuple[str, str | None]]:
    """(name, length attr or None) per output argument of a table entry ("output*num_split")."""
    return [tuple(f.split("*")) if "*" in f else (f, None) for f in OUTPUTS[op_type]]


def _result_type(op_type: str):
    if op_type not in _RESULT_TYPES:
        names = [n for n, _ in _output_fields(op_type)]
        _RESULT_TYPES[op_type] = collections.namedtuple(op_type, names)
    return _RESULT_TYPES[op_type]


def _structure(op):
    """The op's outputs in the form TF's wrapper returns them."""
    outs = list(op.outputs)
    if not outs:
        return op
    op_type = op._opdef.type
    if op_type not in OUTPUTS:
        return outs[0] if len(outs) == 1 else outs
    fields = _output_fields(op_type)
    if len(fields) == 1:  # the only output argument is a list: TF returns the list itself
        return outs
    groups, at = [], 0
    for _, attr in fields:
        if attr is None:
            groups.append(outs[at])
            at += 1
            continue
        n = op._get_attr(attr)
        n = n if isinstance(n, int) else len(n)
        groups.append(outs[at:at + n])
        at += n
    if at != len(outs):
        raise TypeError(f"{op_type}: {len(outs)} outputs do not match TF's output arguments "
                        f"{OUTPUTS[op_type]}")
    return _result_type(op_type)(*groups)


def _missing_message(fname: str, missing: list[str]) -> str:
    """Python's own wording for missing arguments, as TF's generated functions raise it."""
    quoted = [f"'{m}'" for m in missing]
    if len(quoted) == 1:
        listed = quoted[0]
    elif len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    else:
        listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    plural = "argument" if len(missing) == 1 else "arguments"
    return f"{fname}() missing {len(missing)} required positional {plural}: {listed}"


def _shown(default):
    """A default as TF's generated wrappers show it: a float attr (held as float32) by its
    shortest float32 repr, 0.0001 rather than 9.999999747378752e-05."""
    if isinstance(default, float):
        return float(str(np.float32(default)))
    if isinstance(default, list) and default and all(isinstance(v, float) for v in default):
        return [float(str(np.float32(v))) for v in default]
    return default


def _make(od):
    """The raw-op function of one OpDef."""
    op_type = od.type
    fname = snake_name(op_type)
    renames = KEYWORD_RENAMES.get(op_type, {})
    attr_of = {renames.get(k, k): k for k in od.attrs}  # keyword -> the OpDef's attr name
    input_keys = [renames.get(a.name, a.name) for a in od.args]
    required_attrs = [k for k, a in attr_of.items() if a not in od.attr_defaults]
    default_attrs = [k for k, a in attr_of.items() if a in od.attr_defaults]
    keys = input_keys + required_attrs + default_attrs + ["name"]
    known = set(keys)
    required = input_keys + required_attrs

    def raw_op(*args, **kwargs):
        if args:
            raise TypeError(f"{fname} only takes keyword args (possible keys: {keys}). "
                            "Please pass these args as kwargs instead.")
        for k in kwargs:
            if k not in known:
                raise TypeError(f"{fname}() got an unexpected keyword argument '{k}'")
        missing = [k for k in required if k not in kwargs]
        if missing:
            raise TypeError(_missing_message(fname, missing))
        name = kwargs.pop("name", None)
        inputs = [kwargs.pop(k) for k in input_keys]
        # TF's wrappers read an attr given as None as its default.
        attrs = {attr_of[k]: v for k, v in kwargs.items()
                 if not (v is None and attr_of[k] in od.attr_defaults)}
        return _structure(apply_op(od, inputs, attrs, name))

    params = [inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD) for k in required]
    params += [inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                 default=_shown(od.attr_defaults[attr_of[k]]))
               for k in default_attrs]
    params.append(inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    default=None))
    raw_op.__signature__ = inspect.Signature(params)
    raw_op.__name__ = fname
    raw_op.__qualname__ = fname
    raw_op.__module__ = __name__
    shown = ", ".join(keys)
    raw_op.__doc__ = (f"Adds a {op_type} op: {op_type}({shown}), keyword arguments only.\n\n"
                      f"{od.doc}".rstrip())
    return raw_op


_OP_NAME = re.compile(r"^[A-Z][A-Za-z0-9_]*$")


def __getattr__(name: str):
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    if name == "__all__":
        return __dir__()
    od = _opdef.lookup(name) if _OP_NAME.match(name) else None
    if od is None:
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'"
                             + (" (minitf has no such op)" if _OP_NAME.match(name) else ""))
    fn = _FUNCTIONS[name] = _make(od)
    return fn


def __dir__():
    # (TF's raw_ops leave out its internal ops, whose names start with an underscore)
    return sorted(name for name in _opdef.registered() if _OP_NAME.match(name))
