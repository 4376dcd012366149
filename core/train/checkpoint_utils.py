"""``tf.train.init_from_checkpoint``: variables start from a checkpoint's values (fine-tuning a
pretrained model) instead of their initializers."""

from __future__ import annotations

import numpy as np

from ..graph import GraphKeys, get_default_graph, name_scope
from ..variables import Variable


def _graph_variables() -> dict:
    graph = get_default_graph()
    out = {}
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES):
        for v in graph.get_collection(key):
            out.setdefault(v.op.name, v)
    return out


def init_from_checkpoint(ckpt_dir_or_file, assignment_map):
    """Replaces the initializers of the variables ``assignment_map`` names with the
    checkpoint's values, as TF1 does: run it before building ``global_variables_initializer``.

    ``assignment_map`` maps checkpoint names to graph names, as TF's forms:
    ``{"old/": "new/"}`` (every graph variable under ``new/`` from ``old/<rest>``),
    ``{"/": "new/"}`` or ``{"/": "/"}`` (from the checkpoint's root), ``{"old/w": "new/w"}``
    and ``{"old/w": variable}``. A checkpoint name that is missing, or a shape or dtype that
    differs, is a ValueError naming both.
    """
    from .saver import load_checkpoint

    reader = load_checkpoint(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    graph_vars = _graph_variables()
    pairs = []  # (variable, checkpoint name)
    for ckpt_name, current in assignment_map.items():
        if isinstance(current, Variable):
            pairs.append((current, ckpt_name.rstrip("/")))
            continue
        if not isinstance(current, str):
            raise TypeError(f"assignment_map values must be variable names or Variables, got "
                            f"{current!r} for {ckpt_name!r}")
        if current.endswith("/") or current == "/":  # a scope: every variable under it
            if not ckpt_name.endswith("/"):
                raise ValueError(f"Assignment map with scope only name {current} should map "
                                 f"to scope only {ckpt_name}. Should be 'scope/': "
                                 "'other_scope/'.")
            scope = "" if current == "/" else current
            prefix = "" if ckpt_name == "/" else ckpt_name
            matched = [(v, prefix + name[len(scope):]) for name, v in sorted(graph_vars.items())
                       if name.startswith(scope)]
            if not matched:
                raise ValueError(f"assignment_map: no variables in the graph under scope "
                                 f"{current!r}")
            pairs.extend(matched)
        else:
            var = graph_vars.get(current)
            if var is None:
                raise ValueError(f"assignment_map: {current!r} is not a variable of the graph")
            pairs.append((var, ckpt_name))
    for var, name in pairs:
        if name not in shapes:
            raise ValueError(f"Tensor {name} ({var.op.name} in the graph) is not found in "
                             f"{ckpt_dir_or_file} checkpoint")
        if not var.shape.is_compatible_with(shapes[name]):
            raise ValueError(f"Shape of variable {var.op.name} ({var.shape}) doesn't match with "
                             f"shape of tensor {name} ({shapes[name]}) from checkpoint reader.")
    for var, name in pairs:
        value = np.asarray(reader.get_tensor(name))
        if value.dtype != np.dtype(var.dtype.as_numpy_dtype):
            raise ValueError(f"Variable {var.op.name} is {var.dtype.name}, but tensor {name} in "
                             f"{ckpt_dir_or_file} is {value.dtype}")
        _initialize_from(var, value, name)


def _initialize_from(var: Variable, value: np.ndarray, ckpt_name: str):
    from ..ops import state_ops
    from ..ops.array_ops import constant

    graph = var.op.graph
    with graph.as_default(), name_scope(var.op.name + "/"), name_scope("init_from_checkpoint"):
        init = constant(value, name=ckpt_name.replace("/", "_"))
        var._initial_value = init
        var._initializer_op = state_ops.assign(var._variable, init).op
