"""What a plan's steps keep between runs: variable storage (``Cell``), the per-session
``Resources`` (cells, random generators, kernels' own state) and the stand-in a plan compiled
without a session uses (``_NoResources``).

Apart from core/plan.py so the step closures (core/plan_codegen.py) and the compiler can read
a Cell without importing the executor itself.
"""

from __future__ import annotations

import threading

import numpy as np

from .errors import FailedPreconditionError
from .graph import Operation


class Cell:
    """A variable's storage. ``value`` is updated in place by optimizers; ``read`` is a
    read-only view of it handed to consumers, so fetched values and folded results can never
    alias (and later corrupt) variable memory unnoticed."""

    __slots__ = ("name", "value", "read", "lock")

    def __init__(self, name: str):
        self.name = name
        self.value = None
        self.read = None
        self.lock = threading.Lock()  # held by updates made with use_locking=True

    def set(self, value: np.ndarray):
        self.value = value
        view = value.view()
        view.flags.writeable = False
        self.read = view

    def get(self) -> np.ndarray:
        read = self.read
        if read is None:
            raise FailedPreconditionError(
                None, None, f"Attempting to use uninitialized value {self.name}")
        return read

    def initialized(self) -> bool:
        return self.value is not None


# Op types whose kernel state is kept per (type, container, shared_name) instead of per op, so
# ops naming one resource share it within a session as they do in TF's ResourceMgr (an op module
# adds its type; the others keep one state per op).
SHARED_BY_NAME: set[str] = set()
# Op types of one family that find one resource by (container, shared_name) without a handle,
# as TF's Stage, Unstage, StagePeek... find one Buffer: type -> family. An empty shared_name
# means the node's own name (TF's ContainerInfo with use_node_name_as_default).
SHARED_FAMILIES: dict[str, str] = {}


class Resources:
    """Per-session runtime state: variable cells, random generators and kernels' own state
    (Print's count), keyed by op (or by shared name: ``SHARED_BY_NAME``)."""

    def __init__(self):
        self._cells: dict[Operation, Cell] = {}
        self._rngs: dict[Operation, np.random.Generator] = {}
        self._states: dict[Operation, dict] = {}
        self._lock = threading.Lock()

    def variable(self, op: Operation) -> Cell:
        with self._lock:
            cell = self._cells.get(op)
            if cell is None:
                cell = self._cells[op] = Cell(op.name)
            return cell

    def rng(self, op: Operation) -> np.random.Generator:
        with self._lock:
            gen = self._rngs.get(op)
            if gen is None:
                seed, seed2 = op._attrs.get("seed", 0), op._attrs.get("seed2", 0)
                # TensorFlow: both seeds zero means nondeterministic.
                entropy = None if seed == 0 and seed2 == 0 else [seed & 0xFFFFFFFF, seed2]
                gen = self._rngs[op] = np.random.default_rng(entropy)
            return gen

    def state(self, op: Operation) -> dict:
        """A dict the op's kernel keeps from run to run in this session."""
        key = op
        if op.type in SHARED_BY_NAME:
            key = (op.type, op._attrs.get("container", ""), op._attrs.get("shared_name", ""))
        elif op.type in SHARED_FAMILIES:
            key = (SHARED_FAMILIES[op.type], op._attrs.get("container", ""),
                   op._attrs.get("shared_name", "") or op.name)
        with self._lock:
            return self._states.setdefault(key, {})

    def cells(self) -> dict:
        return dict(self._cells)

    def clear(self):
        with self._lock:
            states = list(self._states.values())
            self._cells.clear()
            self._rngs.clear()
            self._states.clear()
        # Runs blocked in other threads (a queue's dequeue or enqueue) fail with
        # CancelledError instead of waiting forever: TF cancels them when the session closes.
        for state in states:
            for value in list(state.values()):
                cancel = getattr(value, "cancel", None)
                if callable(cancel):
                    cancel()


class _NoResources:
    def variable(self, op):
        raise FailedPreconditionError(
            None, op, f"Op '{op.name}' ({op.type}) needs variable storage, which this executor "
            "does not have; freeze the graph (variables to constants) before serving it.")

    def rng(self, op):
        return np.random.default_rng()

    def state(self, op):
        return {}
