"""``tf.estimator.WarmStartSettings``: variables that start from another checkpoint's values
(``init_from_checkpoint`` underneath), as TF 1.x's ``warm_starting_util`` chooses them."""

from __future__ import annotations

import collections
import os
import re

from ..errors import UnimplementedError
from ..graph import GraphKeys, get_default_graph


class WarmStartSettings(collections.namedtuple("WarmStartSettings", [
        "ckpt_to_initialize_from", "vars_to_warm_start", "var_name_to_vocab_info",
        "var_name_to_prev_var_name"])):
    """Which variables start from which checkpoint (when model_dir has none of its own)."""

    def __new__(cls, ckpt_to_initialize_from, vars_to_warm_start=".*",
                var_name_to_vocab_info=None, var_name_to_prev_var_name=None):
        if not ckpt_to_initialize_from:
            raise ValueError("`ckpt_to_initialize_from` MUST be set in WarmStartSettings")
        return super().__new__(cls, ckpt_to_initialize_from, vars_to_warm_start,
                               var_name_to_vocab_info or {}, var_name_to_prev_var_name or {})


def _warm_start_settings(warm_start_from):
    if warm_start_from is None:
        return None
    if isinstance(warm_start_from, (str, bytes, os.PathLike)):
        path = os.fsdecode(warm_start_from)
        variables = os.path.join(path, "variables", "variables")
        if os.path.exists(variables + ".index"):  # a SavedModel: its checkpoint
            path = variables
        return WarmStartSettings(ckpt_to_initialize_from=path)
    if isinstance(warm_start_from, WarmStartSettings):
        return warm_start_from
    raise ValueError(f"warm_start_from must be a string or a WarmStartSettings, instead got "
                     f"{type(warm_start_from)}")


def _warm_start(settings):
    """Sets the chosen variables' initializers to the checkpoint's values (a checkpoint of
    model_dir, when there is one, still wins: it is restored over them)."""
    from ..train.checkpoint_utils import init_from_checkpoint
    from ..variables import Variable

    if settings.var_name_to_vocab_info:
        raise UnimplementedError(None, None, "WarmStartSettings.var_name_to_vocab_info "
                                 "(vocabulary remapping) is not supported")
    graph = get_default_graph()
    wanted = settings.vars_to_warm_start
    if wanted is None:
        chosen = []
    elif isinstance(wanted, str):
        chosen = [v for v in graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
                  if re.match(wanted, v.op.name)]
    elif all(isinstance(w, str) for w in wanted):
        chosen = []
        for pattern in wanted:
            chosen += [v for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
                       if re.match(pattern, v.op.name) and v not in chosen]
    elif all(isinstance(w, Variable) for w in wanted):
        chosen = list(wanted)
    else:
        raise ValueError("vars_to_warm_start should be a string, a list of strings or a list "
                         f"of Variables, got {wanted!r}")
    prev = settings.var_name_to_prev_var_name
    assignment = {prev.get(v.op.name, v.op.name): v for v in chosen}
    if assignment:
        init_from_checkpoint(settings.ckpt_to_initialize_from, assignment)
