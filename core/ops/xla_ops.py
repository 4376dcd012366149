"""XlaClusterOutput: the op ``tf.xla.experimental.compile`` puts on each output of a compiled
cluster (core/xla.py).

TF registers no CPU kernel for it: TF's XLA rewrite pass replaces the cluster, this op
included, by an XlaLaunch before anything runs. minitf has no XLA and runs the cluster's ops
as they are, so here the op forwards its input. Its gradient refuses as TF's does: gradients
must be taken inside the compiled computation.
"""

from __future__ import annotations

from ..opdef import OpDef, identity_kernel, register
from ._util import unary_infer

__all__: list[str] = []


def _xla_cluster_output_grad(op, dy):
    raise RuntimeError("Gradient computation of graph in xla.compile() is prohibited because it "
                       "can cause performance degradation.Please move gradient computation "
                       "inside xla.compile().")


XLA_CLUSTER_OUTPUT = register(OpDef(
    "XlaClusterOutput", inputs=["input:T"], kernel=identity_kernel, infer=unary_infer,
    grad=_xla_cluster_output_grad,
    doc="Connects an output of an XLA cluster to the rest of the graph (forwards its input)",
))
