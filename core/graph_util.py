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
