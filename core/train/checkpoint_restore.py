"""Restoring an object-based checkpoint: matching its object graph to the Python objects, and
the status objects ``tf.train.Checkpoint.restore`` returns (TF1 graph mode's
CheckpointLoadStatus, InitializationOnlyStatus and NameBasedSaverStatus).

Matching is TF's: checkpoint node 0 is the root; a checkpoint child ``name`` of a matched node
is matched to the object's child of that name; a slot variable node to the slot its optimizer
(matched) holds for its variable (matched). In graph mode nothing is assigned until
``run_restore_ops`` / ``initialize_or_restore`` run in a session, so matching is done again
then: objects created after ``restore()`` (a layer's weights built later, an optimizer's
slots made by ``minimize``) are restored too, TF's deferred restoration as graph mode sees it.
As in TF 2.21's graph mode, such a variable is not restored by its own initializer:
``global_variables_initializer()`` alone gives it its initial value (TF's restore-on-create,
``_preload_simple_restoration``, is taken only when executing eagerly);
tests/core/test_checkpoint_deferred.py runs the sequences side by side.

Shapes and dtypes are checked before anything is assigned, so a refused restore changes no
variable. A shape that does not fit is a ValueError at ``restore()`` (TF's message; TF 2.21's
graph mode only finds out, if at all, when the restore op runs).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, NotFoundError
from ..graph import get_default_graph
from ..session import get_default_session
from ..variables import Variable
from . import tensor_bundle
from .checkpoint_graph import (OBJECT_GRAPH_PROTO_KEY, VARIABLE_VALUE, children,
                               decode_object_graph, format_node, node_names, serialize)
from .optimizer import Optimizer

_NO_CHECKPOINT = "No checkpoint specified (save_path=None); nothing is being restored."
_NAME_BASED = (
    "Restoring a name-based tf.train.Saver checkpoint using the object-based restore API. "
    "This mode uses global names to match variables, and so is somewhat fragile. It also adds "
    "new restore ops to the graph each time it is called when graph building. Prefer "
    "re-encoding training checkpoints in the object-based format: run save() on the "
    "object-based saver (the same one this message is coming from) and use that checkpoint "
    "in the future.")


def session_for(session, what: str):
    """``session``, else the default session; graph mode needs one to run anything."""
    session = session if session is not None else get_default_session()
    if session is None:
        raise ValueError(f"{what} needs a session in graph mode: pass session=, or call it "
                         "inside `with tf.Session() as sess:` (its default session)")
    return session


def _graph(session=None):
    return session.graph if session is not None else get_default_graph()


def _variables(root, graph, skip_slots=False) -> list:
    """The variables reachable from ``root`` (slot variables too), in node order."""
    return [o for o in serialize(root, graph, skip_slots).objects if isinstance(o, Variable)]


def _assign(session, pairs):
    """Sets each variable's value in the session; all were read and checked before."""
    for v, _ in pairs:
        if v.graph is not session.graph:
            raise ValueError(f"Cannot restore {v.name}: the variable is not in the session's "
                             "graph (the objects were built in another graph)")
    cells = session._resources
    for v, value in pairs:  # (a quantized variable holds its storage integers, as TF's)
        cells.variable(v.op).set(np.array(_dt.storage_view(np.asarray(value)), copy=True))


def _check_value(v, entry_dtype, entry_shape, key, save_path):
    """TF's shape check (ValueError, its message) and, with ``entry_dtype``, its RestoreV2
    dtype check (InvalidArgumentError: TF finds it when the restore op runs)."""
    from ..tensor_shape import TensorShape

    if not v.shape.is_compatible_with(entry_shape):
        raise ValueError(f"Received incompatible tensor with shape {TensorShape(entry_shape)} "
                         f"when attempting to restore variable with shape {v.shape} and name "
                         f"{key}.")
    if entry_dtype is not None and entry_dtype != np.dtype(v.dtype.as_numpy_dtype):
        raise InvalidArgumentError(
            None, None, f"tensor_name = {key}; expected dtype {v.dtype.name} does not equal "
            f"original dtype {entry_dtype.name} (checkpoint {save_path}, variable {v.name})")


class _Match:
    """One matching of the checkpoint's nodes to the objects under ``root`` in ``graph``."""

    def __init__(self, nodes, root, graph, skip_slots):
        self.bound = {0: root}
        queue = [0]
        while queue:
            node_id = queue.pop(0)
            mine = {}
            for name, child in children(self.bound[node_id], graph):
                mine.setdefault(name, child)
            for child_id, name in nodes[node_id].children:
                child = mine.get(name)
                if child is not None and child_id not in self.bound:
                    self.bound[child_id] = child
                    queue.append(child_id)
        for node_id, node in enumerate(nodes):
            opt = self.bound.get(node_id)
            if skip_slots or not isinstance(opt, Optimizer):
                continue
            for original_id, slot_name, slot_id in node.slot_variables:
                var = self.bound.get(original_id)
                slot = opt.get_slot(var, slot_name) if isinstance(var, Variable) else None
                if slot is not None and slot_id not in self.bound:
                    self.bound[slot_id] = slot
        self.restores, self.unused = [], {}
        for node_id, obj in self.bound.items():
            attributes = nodes[node_id].attributes
            values = [k for name, _, k in attributes if name == VARIABLE_VALUE]
            if isinstance(obj, Variable) and values:
                self.restores.append((obj, values[0]))
            rest = [name for name, _, _ in attributes
                    if not (isinstance(obj, Variable) and name == VARIABLE_VALUE)]
            if rest:
                self.unused[node_id] = rest


class CheckpointLoadStatus:
    """The status of ``Checkpoint.restore(save_path)`` for an object-based checkpoint. In graph
    mode, ``run_restore_ops`` or ``initialize_or_restore`` assign the values."""

    def __init__(self, root, save_path, reader: tensor_bundle.BundleReader, options=None):
        self._root, self._save_path, self._reader = root, save_path, reader
        self._skip_slots = bool(getattr(options, "experimental_skip_slot_variables", False))
        data = reader.read(OBJECT_GRAPH_PROTO_KEY)
        self._nodes = decode_object_graph(bytes(np.asarray(data).reshape(-1)[0]), save_path)
        self._names = None
        self._check(self._match(), dtypes=False)  # a shape that cannot fit fails here

    @property
    def _node_names(self):
        if self._names is None:
            self._names = node_names(self._nodes)
        return self._names

    def _match(self, graph=None) -> _Match:
        return _Match(self._nodes, self._root, graph or get_default_graph(), self._skip_slots)

    def _check(self, match, dtypes=True):
        for v, key in match.restores:
            entry = self._reader.entries.get(key)
            if entry is None:
                raise NotFoundError(None, None, f"Key {key} not found in checkpoint "
                                    f"{self._save_path}")
            dtype = tensor_bundle.numpy_dtype(entry.dtype, key) if dtypes else None
            _check_value(v, dtype, tuple(entry.shape), key, self._save_path)

    # -- assertions (TF's messages) ---------------------------------------------------------
    def assert_consumed(self):
        """Every value in the checkpoint has an object, and every object a value."""
        match = self._match()
        self._existing_matched(match)
        for node_id, node in enumerate(self._nodes):
            if node.attributes and node_id not in match.bound:
                raise AssertionError(f"Unresolved object in checkpoint "
                                     f"{self._node_names.get(node_id, node_id)}: "
                                     f"{format_node(node)}")
        if match.unused:
            lines = "\n".join(f"{self._node_names.get(i, i)} ({match.bound[i]}): {names}"
                              for i, names in match.unused.items())
            raise AssertionError("Unused attributes in these objects (the attributes exist in "
                                 f"the checkpoint but were not restored):\n{lines}")
        return self

    def assert_existing_objects_matched(self):
        """Every variable that exists now has a value in the checkpoint."""
        self._existing_matched(self._match())
        return self

    def _existing_matched(self, match):
        bound = {id(o) for o in match.bound.values()}
        unused = [v for v in _variables(self._root, get_default_graph(), self._skip_slots)
                  if id(v) not in bound]
        if unused:
            shown = min(10, len(unused))
            raise AssertionError(f"Found {len(unused)} Python objects that were not bound to "
                                 "checkpointed values, likely due to changes in the Python "
                                 f"program. Showing {shown} of {len(unused)} unmatched "
                                 f"objects: {unused[:shown]}")

    def assert_nontrivial_match(self):
        """Something besides the root matched."""
        match = self._match()
        if len(match.bound) <= 1:
            bound = {id(o) for o in match.bound.values()}
            unused = [v for v in _variables(self._root, get_default_graph(), self._skip_slots)
                      if id(v) not in bound]
            if unused:
                raise AssertionError("Nothing except the root object matched a checkpointed "
                                     "value. Typically this means that the checkpoint does not "
                                     "match the Python program. The following objects have no "
                                     f"matching checkpointed value: {unused}")
            raise AssertionError(f"Nothing to load. No dependencies have been added to "
                                 f"{self._root} yet.")
        return self

    def expect_partial(self):
        """Says that a partial restore is intended (TF then stops warning); returns self."""
        return self

    # -- running ----------------------------------------------------------------------------
    def run_restore_ops(self, session=None):
        """Assigns the checkpoint's values to the matched variables, in ``session`` (default:
        the default session); all are read and checked first, so on error none changes."""
        session = session_for(session, "run_restore_ops")
        match = self._match(_graph(session))
        self._check(match)
        _assign(session, [(v, self._reader.read(key)) for v, key in match.restores])
        return match

    def initialize_or_restore(self, session=None):
        """Restores the matched variables and runs the initializers of the others."""
        session = session_for(session, "initialize_or_restore")
        match = self.run_restore_ops(session)
        bound = {id(o) for o in match.bound.values()}
        inits = [v.initializer for v in _variables(self._root, _graph(session), self._skip_slots)
                 if id(v) not in bound]
        if inits:
            session.run(inits)


class InitializationOnlyStatus:
    """``restore(None)``: nothing to restore; ``initialize_or_restore`` initializes."""

    def __init__(self, root):
        self._root = root

    def assert_consumed(self):
        raise AssertionError(_NO_CHECKPOINT)

    def assert_existing_objects_matched(self):
        raise AssertionError(_NO_CHECKPOINT)

    def assert_nontrivial_match(self):
        raise AssertionError(_NO_CHECKPOINT)

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        raise AssertionError("No checkpoint specified, so no restore ops are available "
                             "(save_path=None to Saver.restore).")

    def initialize_or_restore(self, session=None):
        """Runs the initializers of every variable reachable from the root."""
        session = session_for(session, "initialize_or_restore")
        inits = [v.initializer for v in _variables(self._root, _graph(session))]
        if inits:
            session.run(inits)


class NameBasedSaverStatus:
    """A checkpoint without an object graph (written by ``tf.train.Saver``): variables are
    matched by their names in the graph (``dense/kernel``, ``dense/kernel/Adam``), as TF
    does; ``save_counter`` may be missing."""

    def __init__(self, root, save_path):
        from .saver import _Stored

        self._root, self._save_path, self._stored = root, save_path, _Stored(save_path)
        self._optional: list = []

    def add_to_optionally_restored(self, var):
        self._optional.append(var)

    def _pairs(self, graph):
        found, missing = [], []
        for v in _variables(self._root, graph):
            spec = self._stored.spec(v.op.name)
            if spec is not None:
                found.append((v, spec))
            elif all(v is not o for o in self._optional):
                missing.append(v)
        return found, missing

    def assert_consumed(self):
        _, missing = self._pairs(get_default_graph())
        if missing:
            raise AssertionError(f"Object not restored: {missing[0]}")
        return self

    assert_existing_objects_matched = assert_nontrivial_match = assert_consumed

    def expect_partial(self):
        return self

    def run_restore_ops(self, session=None):
        session = session_for(session, "run_restore_ops")
        found, missing = self._pairs(_graph(session))
        if missing:
            raise NotFoundError(None, None, f"Key {missing[0].op.name} not found in checkpoint "
                                f"{self._save_path} (a name-based checkpoint: variables are "
                                "matched by name)")
        for v, (dtype, shape) in found:
            _check_value(v, np.dtype(dtype), tuple(shape), v.op.name, self._save_path)
        _assign(session, [(v, self._stored.read(v.op.name, None)) for v, _ in found])

    initialize_or_restore = run_restore_ops
