"""``tf.graph_util`` (TF1 freezing helpers). The implementation lives in minitf.export, which
owns the GraphDef protos; these forwards resolve it at call time so the engine itself never
depends on export."""

import importlib


def _export():
    return importlib.import_module("minitf.export")


def convert_variables_to_constants(sess, input_graph_def, output_node_names,
                                   variable_names_whitelist=None,
                                   variable_names_blacklist=None):
    return _export().convert_variables_to_constants(
        sess, input_graph_def, output_node_names, variable_names_whitelist,
        variable_names_blacklist)


def extract_sub_graph(graph_def, dest_nodes):
    return _export().extract_sub_graph(graph_def, dest_nodes)


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None, op_dict=None,
                     producer_op_list=None):
    """``tf.import_graph_def``: adds a GraphDef's nodes to the default graph."""
    return _export().import_graph_def(graph_def, input_map, return_elements, name, op_dict,
                                      producer_op_list)


def write_graph(graph_or_graph_def, logdir, name, as_text=True):
    """``tf.train.write_graph``: a GraphDef as text (pbtxt) or binary protobuf."""
    import os

    from google.protobuf import text_format

    gd = graph_or_graph_def.as_graph_def() if hasattr(graph_or_graph_def, "as_graph_def") \
        else graph_or_graph_def
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, name)
    if as_text:
        with open(path, "w") as f:
            f.write(text_format.MessageToString(gd))
    else:
        with open(path, "wb") as f:
            f.write(gd.SerializeToString())
    return path


def tensor_shape_from_node_def_name(graph, input_name):
    """The static shape of the tensor a NodeDef input string names ("Mul" means "Mul:0")."""
    name = input_name if ":" in input_name else input_name + ":0"
    return graph.get_tensor_by_name(name).shape


_VARIABLE_OPS = frozenset({"Assign", "AssignAdd", "AssignSub", "Queue", "ScatterAdd",
                           "ScatterSub", "ScatterUpdate", "TruncatedNormal", "Variable",
                           "VariableV2"})
_DT_INT32, _DT_STRING = 3, 7  # DataType enum values (types.proto)


def must_run_on_cpu(node, pin_variables_on_cpu=False) -> bool:
    """TF1's device-placement rule: whether an Operation or NodeDef has no GPU kernel (string
    or int32 Const, int32 DynamicStitch or Cast from int32) or is a variable op to pin."""
    node_def = node.node_def if hasattr(node, "node_def") else node
    op, attr = node_def.op, node_def.attr
    if pin_variables_on_cpu and op in _VARIABLE_OPS:
        return True
    if op == "Const":
        return attr["dtype"].type in (_DT_STRING, _DT_INT32)
    if op in ("DynamicStitch", "ParallelDynamicStitch"):
        return attr["T"].type == _DT_INT32
    if op == "Cast":
        return attr["SrcT"].type == _DT_INT32
    return False


def _copy_without_inputs(node, drop):
    """A copy of NodeDef ``node`` keeping the inputs (data or ^control) for which ``drop``
    gives a false value."""
    out = type(node)()
    out.CopyFrom(node)
    del out.input[:]
    out.input.extend(i for i in node.input if not drop(i))
    return out


def remove_training_nodes(input_graph, protected_nodes=None):
    """A GraphDef for inference: CheckNumerics nodes dropped, Identity and StopGradient nodes
    spliced out (their consumers read their input) unless protected, colocated with, on
    either end of a control edge. TF1's rules, node for node."""
    protected = set(protected_nodes or ())
    removed = {n.name for n in input_graph.node
               if n.op == "CheckNumerics" and n.name not in protected}
    nodes = [_copy_without_inputs(n, lambda i: i.lstrip("^") in removed)
             for n in input_graph.node if n.name not in removed]
    control_inputs, with_control, colocated = set(), set(), set()
    for n in nodes:
        for i in n.input:
            if "^" in i:
                control_inputs.add(i.replace("^", ""))
                with_control.add(n.name)
        if "_class" in n.attr:
            for loc in n.attr["_class"].list.s:
                loc = loc.decode()
                colocated.add(loc[5:] if loc.startswith("loc:@") else loc)
    splice = {n.name: n.input[0] for n in nodes
              if n.op in ("Identity", "StopGradient") and n.name not in protected
              and n.name not in colocated and n.name not in with_control
              and n.name not in control_inputs}

    def through(full):
        # An input to a spliced node is replaced by that node's own input, repeatedly.
        while full.lstrip("^") in splice:
            full = splice[full.lstrip("^")]
        return full

    out = type(input_graph)()
    for n in nodes:
        if n.name not in splice:
            copy = _copy_without_inputs(n, lambda i: True)
            copy.input.extend(through(i) for i in n.input)
            out.node.append(copy)
    return out
