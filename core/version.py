"""``tf.version``: minitf's version and the GraphDef versions it writes.

``VERSION`` is ``minitf.__version__``; the GraphDef numbers are the ones minitf.export puts in
``GraphDef.versions`` (``producer``; no ``min_consumer``), kept in one place (core/tf1_extras.py,
which also gives the TF1 root names ``tf.VERSION``, ``tf.GRAPH_DEF_VERSION``...). minitf is pure
Python: ``COMPILER_VERSION`` names the compiler of the Python running it, and ``GIT_VERSION`` is
what TF reports for a build outside a git checkout.
"""

from .tf1_extras import (COMPILER_VERSION, GIT_VERSION, GRAPH_DEF_VERSION,
                         GRAPH_DEF_VERSION_MIN_CONSUMER, GRAPH_DEF_VERSION_MIN_PRODUCER, VERSION)

__all__ = ["COMPILER_VERSION", "GIT_VERSION", "GRAPH_DEF_VERSION",
           "GRAPH_DEF_VERSION_MIN_CONSUMER", "GRAPH_DEF_VERSION_MIN_PRODUCER", "VERSION"]
