"""The other way round from test_registry_graph_defs_in_tf.py: every op case of the registry
built by TensorFlow's own ``tf.raw_ops`` (so its GraphDef nodes carry every attr as TF writes
them, defaults included), imported into minitf and run with the same feeds; the values must be
TF's. Cases with list inputs, random cases and ops TF cannot build are left out; the cases
TF computes otherwise are the same as the other direction's (TF_DIFFERS there)."""

from __future__ import annotations

import numpy as np
import pytest

from minitf.opdef import registered
from minitf.raw_ops_outputs import KEYWORD_RENAMES
from tests.core.op_cases import all_cases
from tests.core.op_cases.harness import Const
from tests.core.test_raw_ops import CONTRIB_ONLY  # TF 2 has no kernels for these

from .test_registry_graph_defs_in_tf import TF_DIFFERS, _compare


def _tf_build(tf, case, opdef):
    """The case's op in a TF graph: (graph, flat output tensors, feeds by name)."""
    tf1 = tf.compat.v1
    renames = KEYWORD_RENAMES.get(case.op, {})
    graph, feeds, kwargs = tf1.Graph(), {}, {}
    with graph.as_default():
        for spec, value in zip(opdef.args, case.inputs):
            if isinstance(value, Const):
                t = tf1.constant(value.value)
            else:
                arr = np.asarray(value)
                t = tf1.placeholder(tf1.as_dtype(arr.dtype), arr.shape, name=f"in_{spec.name}")
                feeds[t.name] = arr
            kwargs[renames.get(spec.name, spec.name)] = t
        for k, v in case.attrs.items():
            if isinstance(v, type) and issubclass(v, np.generic):
                v = tf1.as_dtype(v)
            kwargs[renames.get(k, k)] = v
        out = getattr(tf.raw_ops, case.op)(**kwargs)
    outs = []
    for o in (out if isinstance(out, (list, tuple)) else [out]):
        outs.extend(o if isinstance(o, (list, tuple)) else [o])
    return graph, [o for o in outs if not isinstance(o, tf1.Operation)], feeds


def test_every_registry_case_built_by_tensorflow_runs_in_minitf_with_its_results():
    tf = pytest.importorskip("tensorflow")

    import minitf as mtf
    from minitf.protos import graph_pb2

    tf1 = tf.compat.v1
    problems, compared = [], 0
    for case in all_cases():
        opdef = registered()[case.op]
        if case.check is not None or case.op in CONTRIB_ONLY or any(
                isinstance(v, list) for v in case.inputs):
            continue
        try:
            graph, outs, feeds = _tf_build(tf, case, opdef)
            if not outs:
                continue
            with tf1.Session(graph=graph) as sess:  # copies: some TF kernels write the feeds
                theirs = sess.run([o.name for o in outs],
                                  {k: v.copy() for k, v in feeds.items()})
        except (TypeError, ValueError, NotImplementedError, tf.errors.OpError):
            continue  # an attr form or kernel TF's raw_ops do not take: the other test covers it
        gd = graph_pb2.GraphDef.FromString(graph.as_graph_def().SerializeToString())
        try:
            with mtf.Graph().as_default() as g:
                mtf.import_graph_def(gd, name="")
                with mtf.Session(graph=g) as sess:
                    mine = sess.run([o.name for o in outs], feeds)
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            problems.append(f"{case.id}: minitf refused TF's graph: {type(e).__name__}: "
                            f"{str(e).splitlines()[0][:200]}")
            continue
        compared += 1
        why = _compare(mine, theirs, case)
        if why is not None and case.id not in TF_DIFFERS:
            problems.append(f"{case.id}: {why}")
    assert not problems, "\n".join(problems)
    assert compared > 1300
