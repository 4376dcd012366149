"""``tf.contrib.compiler`` (TF 1.15): ``jit.experimental_jit_scope``, the hint that asks XLA
to compile the ops built inside it.

minitf has no XLA, so the scope only does what TensorFlow does to the graph: every op built
in it gets TF's ``_XlaCompile`` (bool; or ``compile_ops(node_def)`` when that is callable),
``_XlaSeparateCompiledGradients`` and, from the outermost scope, ``_XlaScope``
(``b"jit_scope_<n>"``, n counting the outermost scopes of the graph) attrs, which ``get_attr``
reads and GraphDefs carry. Running is unaffected. An inner scope's attrs win over an outer
one's; an inner scope shares its outer scope's ``_XlaScope``, as in TF.

As TF's, the scope is the graph's attr scope: each op gets the attrs as it is created.
``tf.contrib.compiler.xla`` (compile, estimator_model_fn) is core/contrib/compiler_xla.py.
"""

from __future__ import annotations

import contextlib
import types
import weakref

import minitf as tf

__all__ = ["experimental_jit_scope", "jit"]


class _XlaScopeCounter:
    """How many outermost jit scopes a graph has had, and how deep the current one is."""

    def __init__(self):
        self.count = 0
        self.depth = 0


# TF keeps the counter in a graph collection under a tuple key; minitf's meta graph export
# sorts collection keys, so the counter lives here, per graph.
_COUNTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def experimental_jit_scope(compile_ops=True, separate_compiled_gradients=False):
    """TF's ``tf.contrib.compiler.jit.experimental_jit_scope``: marks the ops built in the
    block for XLA compilation (``compile_ops``: a bool, or a function of an op's NodeDef
    returning one) and, with ``separate_compiled_gradients``, asks for their gradients to be
    compiled apart. A hint only: minitf runs the ops as it always does."""
    attr_value = tf.AttrValue
    if callable(compile_ops):
        def xla_compile(node_def):
            return attr_value(b=bool(compile_ops(node_def)))
    else:
        xla_compile = attr_value(b=bool(compile_ops))
    attrs = {"_XlaCompile": xla_compile,
             "_XlaSeparateCompiledGradients": attr_value(b=bool(separate_compiled_gradients))}
    graph = tf.get_default_graph()
    counter = _COUNTERS.setdefault(graph, _XlaScopeCounter())
    if counter.depth == 0:
        # The outermost scope names the compilation cluster; inner ones join it.
        attrs["_XlaScope"] = attr_value(s=f"jit_scope_{counter.count}".encode())
        counter.count += 1
    counter.depth += 1
    try:
        with graph._attr_scope(attrs):
            yield
    finally:
        counter.depth -= 1


# ``tf.contrib.compiler.jit``: TF's module of that name.
jit = types.ModuleType("minitf.contrib.compiler.jit", "TF 1.15's tf.contrib.compiler.jit.")
jit.experimental_jit_scope = experimental_jit_scope
jit.__all__ = ["experimental_jit_scope"]


def __getattr__(name):
    # ``tf.contrib.compiler.xla`` (core/contrib/compiler_xla.py) imports minitf.xla, which
    # imports this module for jit_scope: loaded on first use.
    if name == "xla":
        from . import compiler_xla

        globals()["xla"] = compiler_xla
        return compiler_xla
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__.append("xla")
