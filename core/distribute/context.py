"""Which strategy is current and whether code runs in a replica or the cross-replica context
(TF 1.15's distribution_strategy_context).

Each graph keeps, per thread, a stack of modes: ``strategy.scope()`` pushes a cross-replica
mode, a replica function runs under a replica mode, ``merge_call`` goes back to cross-replica.
With the stack empty, code runs in the default strategy's single replica context.
"""

from __future__ import annotations

import threading
import weakref

from ..graph import get_default_graph

__all__ = ["experimental_set_strategy", "get_cross_replica_context", "get_replica_context",
           "get_strategy", "has_strategy", "in_cross_replica_context"]


class _ThreadMode:
    def __init__(self, strategy, cross_replica_context, replica_context):
        self.strategy = strategy
        self.cross_replica_context = cross_replica_context
        self.replica_context = replica_context


class CrossReplicaThreadMode(_ThreadMode):
    def __init__(self, strategy):
        super().__init__(strategy, strategy, None)


class InReplicaThreadMode(_ThreadMode):
    def __init__(self, replica_ctx):
        super().__init__(replica_ctx.strategy, None, replica_ctx)


def _stack(graph=None) -> list:
    # Per graph and per thread, as TF keeps Graph._distribution_strategy_stack.
    graph = graph or get_default_graph()
    return graph._local.__dict__.setdefault("distribution_strategy_stack", [])


def push_mode(mode):
    _stack().append(mode)


def pop_mode():
    _stack().pop()


def get_mode() -> _ThreadMode:
    stack = _stack()
    return stack[-1] if stack else default_replica_mode()


# -- the public functions ---------------------------------------------------------------------
def get_replica_context():
    """The current ``tf.distribute.ReplicaContext``, or None in a cross-replica context.
    Outside any strategy: the default strategy's replica context."""
    return get_mode().replica_context


def get_cross_replica_context():
    """The current strategy when in a cross-replica context, else None (TF's deprecated
    function: use in_cross_replica_context() and get_strategy())."""
    return get_mode().cross_replica_context


def in_cross_replica_context() -> bool:
    """True inside ``strategy.scope()`` (outside its replica functions) and inside a
    ``merge_call``'s function."""
    return get_mode().cross_replica_context is not None


def get_strategy():
    """The strategy whose scope is open, else the default (single replica) strategy."""
    return get_mode().strategy


def has_strategy() -> bool:
    """True when a strategy other than the default one is current."""
    return get_strategy() is not default_strategy()


def get_strategy_and_replica_context():
    mode = get_mode()
    return mode.strategy, mode.replica_context


# experimental_set_strategy's open scope, per graph (TF: Graph._global_distribute_strategy_scope).
_set_scopes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def experimental_set_strategy(strategy):
    """Makes ``strategy`` current for the default graph as if its ``scope()`` were entered
    (None leaves it). RuntimeError inside a ``with strategy.scope():``."""
    graph = get_default_graph()
    old = _set_scopes.pop(graph, None)
    if old is not None:
        old.__exit__(None, None, None)
    if has_strategy():
        raise RuntimeError("Must not be called inside a `tf.distribute.Strategy` scope.")
    if strategy is not None:
        scope = strategy.scope()
        scope.__enter__()
        _set_scopes[graph] = scope


# -- defaults (made on first use: distribute_lib defines their classes) ---------------------------
_defaults: dict = {}
_defaults_lock = threading.Lock()


def default_strategy():
    strategy = _defaults.get("strategy")
    if strategy is None:
        with _defaults_lock:
            if "strategy" not in _defaults:
                from .default_strategy import _make_default_strategy

                _defaults["strategy"] = _make_default_strategy()
            strategy = _defaults["strategy"]
    return strategy


def default_replica_context():
    ctx = _defaults.get("replica_context")
    if ctx is None:
        from .replica_context import ReplicaContext

        strategy = default_strategy()
        with _defaults_lock:
            ctx = _defaults.setdefault("replica_context",
                                       ReplicaContext(strategy, replica_id_in_sync_group=0))
    return ctx


def default_replica_mode():
    mode = _defaults.get("replica_mode")
    if mode is None:
        strategy, ctx = default_strategy(), default_replica_context()
        with _defaults_lock:
            mode = _defaults.setdefault("replica_mode", _ThreadMode(strategy, None, ctx))
    return mode


# -- checks (TF's messages) ---------------------------------------------------------------------
def wrong_strategy_scope(strategy, mode):
    if not has_strategy():
        raise RuntimeError(f'Need to be inside "with strategy.scope()" for {strategy}')
    raise RuntimeError(f"Mixing different tf.distribute.Strategy objects: {mode.strategy} is "
                       f"not {strategy}")


def require_cross_replica_or_default_context(extended):
    """Returns if in ``extended``'s cross-replica context or in the default replica context."""
    mode = get_mode()
    cross = mode.cross_replica_context
    if cross is not None and cross.extended is extended:
        return
    if mode is default_replica_mode():
        return
    strategy = extended._container_strategy()
    if mode.strategy is not strategy:
        wrong_strategy_scope(strategy, mode)
    raise RuntimeError("Method requires being in cross-replica context, use "
                       "get_replica_context().merge_call()")


def require_replica_context(replica_ctx):
    mode = get_mode()
    if mode.replica_context is replica_ctx:
        return
    if mode.replica_context is None:
        raise RuntimeError("Need to be inside `call_for_each_replica()`")
    if mode.strategy is replica_ctx.strategy:
        raise RuntimeError("Mismatching ReplicaContext.")
    raise RuntimeError(f"Mismatching tf.distribute.Strategy objects: {mode.strategy} is not "
                       f"{replica_ctx.strategy}.")


def require_strategy_scope_extended(extended):
    mode = get_mode()
    if mode.strategy.extended is extended:
        return
    wrong_strategy_scope(extended._container_strategy(), mode)


# -- update context -------------------------------------------------------------------------------
_update_device = threading.local()


def get_update_device():
    """The device an ``extended.update()`` is updating, else None."""
    return getattr(_update_device, "current", None)


class UpdateContext:
    """Context manager marking code run by ``update()`` / ``update_non_slot()``."""

    def __init__(self, device):
        self._device = device
        self._old_device = None

    def __enter__(self):
        self._old_device = get_update_device()
        _update_device.current = self._device

    def __exit__(self, exc_type, exc, tb):
        _update_device.current = self._old_device
