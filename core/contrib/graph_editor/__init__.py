"""``tf.contrib.graph_editor`` (TF 1.15): editing a graph after it is built.

- util: ops/tensors lists of one graph, ControlOutputs, the editor's placeholders;
- select: choosing ops and tensors (regexes, filters, forward/backward walks);
- subgraph: SubGraphView, a subgraph seen as a function from inputs to outputs;
- reroute: moving the consuming ends of tensors (swap/reroute), control inputs;
- edit: detaching, connecting and bypassing subgraphs;
- transform: Transformer, copy, copy_with_input_replacements, graph_replace.

Edits bump the graph's version, so a Session compiles a new plan on its next run.
``ph``, ``sgv`` and ``sgv_scope`` are TF's short aliases."""

from . import edit, reroute, select, subgraph, transform, util  # noqa: F401
from .edit import *  # noqa: F403
from .reroute import *  # noqa: F403
from .select import *  # noqa: F403
from .subgraph import *  # noqa: F403
from .transform import *  # noqa: F403
from .util import *  # noqa: F403

ph = util.make_placeholder_from_dtype_and_shape
sgv = subgraph.make_view
sgv_scope = subgraph.make_view_from_scope
