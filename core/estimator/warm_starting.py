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


def _grouped_variables(wanted) -> dict:
    """TF's ``_get_grouped_variables``: the chosen variables by checkpoint name, a partitioned
    variable's parts together under its name. A regex is matched (``re.match``) against the
    variables' names (``enc/emb/part_0:0``), as ``get_collection(..., scope=)`` does."""
    from ..variables import Variable

    graph = get_default_graph()
    if wanted is None or isinstance(wanted, str):
        chosen = [v for v in graph.get_collection(GraphKeys.TRAINABLE_VARIABLES)
                  if wanted is None or re.match(wanted, v.name)]
    elif isinstance(wanted, (list, tuple)) and all(isinstance(w, str) for w in wanted):
        chosen = []
        for pattern in wanted:
            chosen += [v for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
                       if re.match(pattern, v.name) and v not in chosen]
    elif isinstance(wanted, (list, tuple)):
        if not all(isinstance(w, Variable) for w in wanted):
            raise ValueError("If `vars_to_warm_start` is a list, it must be all `Variable` or "
                             f"all `str`.  Given types are {[type(w) for w in wanted]}")
        chosen = list(wanted)
    else:
        raise ValueError("`vars_to_warm_start must be a `list` or `str`.  Given type is "
                         f"{type(wanted)}")
    grouped = {}
    for v in chosen:
        info = getattr(v, "_save_slice_info", None)
        grouped.setdefault(v.op.name if info is None else info.full_name, []).append(v)
    return grouped


def _warm_start(settings):
    """Sets the chosen variables' initializers to the checkpoint's values (a checkpoint of
    model_dir, when there is one, still wins: it is restored over them). A partitioned
    variable is warm-started whole, by its name (``var_name_to_prev_var_name`` keys it so)."""
    from ..train.checkpoint_utils import init_from_checkpoint

    if settings.var_name_to_vocab_info:
        raise UnimplementedError(None, None, "WarmStartSettings.var_name_to_vocab_info "
                                 "(vocabulary remapping) is not supported")
    grouped = _grouped_variables(settings.vars_to_warm_start)
    prev = settings.var_name_to_prev_var_name
    ckpt = settings.ckpt_to_initialize_from
    batch = {}  # checkpoint name -> variable or parts; one name twice: two calls, as TF
    for var_name, variable in grouped.items() if settings.vars_to_warm_start else ():
        prev_name = prev.get(var_name) or var_name
        if prev_name in batch:
            init_from_checkpoint(ckpt, batch)
            batch.clear()
        batch[prev_name] = variable[0] if len(variable) == 1 else variable
    if batch:
        init_from_checkpoint(ckpt, batch)
    unused = set(prev) - set(grouped)
    if unused:
        raise ValueError("You provided the following variables in var_name_to_prev_var_name "
                         f"that were not used: {unused}.  Perhaps you misspelled them?  Here "
                         f"is the list of viable variable names: {grouped.keys()}")
