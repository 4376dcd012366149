"""Model inspection: what is in a SavedModel directory or a frozen GraphDef file.

- ``inspect_model(path)`` -> a JSON-ready dict: format, file size, producer version, tags,
  signatures (aliases, tensor names, dtypes, shapes), op-type histogram, parameter count and bytes,
  placeholders and graph outputs;
- ``format_report(info)`` -> the same as text for people;
- ``load_graph(path)`` -> the GraphDef of a model file (for drawing);
- ``to_dot(graph)`` -> Graphviz DOT of a Graph or GraphDef, nodes clustered by name scope;
- ``render(dot, path)`` -> an image through Graphviz's ``dot`` program.

Inspection reads the protobufs only: it never builds a Graph, so it also describes models that
use ops minitf cannot run, and large weights are never copied (their bytes are cut out of the
file before protobuf parses it; only their dtype and shape are read).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter

from google.protobuf.message import DecodeError

from minitf import dtypes as _dt
from minitf.errors import (DataLossError, FailedPreconditionError, InvalidArgumentError,
                           NotFoundError, UnknownError)
from minitf.protos import graph_pb2, saved_model_pb2, types_pb2

from . import wire
from .freeze import VARIABLE_OPS
from .model_support import missing_ops, unsupported_dtypes  # noqa: F401 - reported here
from .graph_def import _parse_input, parse_text_proto
from .saved_model import (SAVED_MODEL_FILENAME, SAVED_MODEL_TEXT_FILENAME, _read,
                          saved_model_file)

_FLOAT_ENUMS = frozenset({_dt.float16.as_datatype_enum, _dt.float32.as_datatype_enum,
                          _dt.float64.as_datatype_enum, types_pb2.DT_BFLOAT16})
_SINKLESS_OPS = frozenset({"Const", "NoOp", "Assert"})


# -- reading ------------------------------------------------------------------------------------
def _model_file(path: str) -> tuple[str, str]:
    """(format, file) of a model path: a SavedModel directory or file, or a GraphDef file."""
    if os.path.isdir(path):
        file = saved_model_file(path)
        if file is None:
            raise NotFoundError(None, None, f"{path}: no {SAVED_MODEL_FILENAME} (or "
                                f"{SAVED_MODEL_TEXT_FILENAME}) in this directory (a SavedModel "
                                "directory or a frozen .pb file is needed)")
        return "saved_model", file
    if not os.path.exists(path):
        raise NotFoundError(None, None, f"{path}: no such file or directory")
    if os.path.basename(path) in (SAVED_MODEL_FILENAME, SAVED_MODEL_TEXT_FILENAME):
        return "saved_model", path
    return "graph_def", path


def _parse(message, data, file, what):
    try:
        message.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise DataLossError(None, None, f"{file}: not a valid {what} (truncated or corrupt): "
                            f"{e}") from None
    return message


def _read_protos(path: str):
    """(format, file, file size, SavedModel or None, GraphDef, {node index: content bytes})."""
    path = os.fspath(path)
    fmt, file = _model_file(path)
    data = _read(file)
    contents: dict = {}
    what = "SavedModel" if fmt == "saved_model" else "GraphDef"
    if fmt == "saved_model" and file.endswith(".pbtxt"):  # a text SavedModel
        sm = parse_text_proto(data, saved_model_pb2.SavedModel(), file, what)
        if not len(sm.meta_graphs):
            raise InvalidArgumentError(None, None, f"{file}: contains no MetaGraphDef; is this "
                                       "a SavedModel?")
        return fmt, file, len(data), sm, None, {}
    if fmt == "graph_def" and file.endswith((".pbtxt", ".txt")):  # the text format
        gd = parse_text_proto(data, graph_pb2.GraphDef(), file, what)
        if not len(gd.node):
            raise InvalidArgumentError(None, None, f"{file}: the GraphDef has no nodes; is "
                                       "this a model file?")
        return fmt, file, len(data), None, gd, {}
    try:
        if fmt == "saved_model":
            stripped = wire.split_saved_model(memoryview(data), contents)
        else:
            stripped = wire.split_graph_def(memoryview(data), 0, len(data), contents)
    except DataLossError as e:
        raise DataLossError(None, None, f"{file}: not a valid {what} (truncated or corrupt): "
                            f"{e.message}") from None
    body = stripped if stripped is not None else data
    if fmt == "graph_def":
        gd = _parse(graph_pb2.GraphDef(), body, file, what)
        if not len(gd.node):
            raise InvalidArgumentError(None, None, f"{file}: the GraphDef has no nodes; is this "
                                       "a model file?")
        return fmt, file, len(data), None, gd, {k[0]: v for k, v in contents.items()}
    sm = _parse(saved_model_pb2.SavedModel(), body, file, what)
    if not len(sm.meta_graphs):
        raise InvalidArgumentError(None, None, f"{file}: contains no MetaGraphDef; is this a "
                                   "SavedModel?")
    return fmt, file, len(data), sm, None, {k: v for k, v in contents.items()}


def _meta_index(sm, tags, file) -> int:
    if tags is None:
        return 0
    wanted = set(tags)
    for i, m in enumerate(sm.meta_graphs):
        if set(m.meta_info_def.tags) == wanted:
            return i
    found = [sorted(m.meta_info_def.tags) for m in sm.meta_graphs]
    raise NotFoundError(None, None, f"{file}: no MetaGraphDef with tags {sorted(wanted)} "
                        f"(found {found})")


def load_graph(path, tags=None) -> graph_pb2.GraphDef:
    """The GraphDef of a SavedModel (its first MetaGraphDef, or the one with ``tags``) or of a
    frozen GraphDef file, with large tensor contents left out (for ``to_dot``)."""
    fmt, file, _, sm, gd, _ = _read_protos(path)
    if fmt == "saved_model":
        gd = sm.meta_graphs[_meta_index(sm, tags, file)].graph_def
    return gd


# -- describing ---------------------------------------------------------------------------------
def dtype_name(enum: int) -> str:
    """minitf's name for a DataType ("float32"), or the enum's name if minitf has no such dtype
    ("DT_RESOURCE")."""
    try:
        return _dt.as_dtype(int(enum)).name
    except TypeError:
        try:
            return types_pb2.DataType.Name(enum)
        except ValueError:
            return f"DataType({enum})"


def _itemsize(enum: int) -> int:
    if enum == types_pb2.DT_BFLOAT16:
        return 2
    try:
        dtype = _dt.as_dtype(int(enum))
    except TypeError:
        return 0
    return 0 if dtype is _dt.string else dtype.size


def _shape(proto) -> list | None:
    """A TensorShapeProto as a list (None for unknown dims), or None for unknown rank."""
    if proto.unknown_rank:
        return None
    return [None if d.size < 0 else d.size for d in proto.dim]


def _tensor_info(ti) -> dict:
    which = ti.WhichOneof("encoding")
    info = {"name": ti.name if which == "name" else None, "dtype": dtype_name(ti.dtype),
            "shape": _shape(ti.tensor_shape) if ti.HasField("tensor_shape") else None}
    if which not in (None, "name"):
        info["encoding"] = which
    return info


def _output_shapes(node) -> list:
    av = node.attr.get("_output_shapes") if "_output_shapes" in node.attr else None
    return [_shape(s) for s in av.list.shape] if av is not None else []


def _graph_summary(gd, contents) -> dict:
    histogram = Counter(n.op for n in gd.node)
    consumed = set()
    params = param_bytes = const_bytes = 0
    placeholders, variables = [], []
    for i, node in enumerate(gd.node):
        for text in node.input:
            consumed.add(_parse_input(text)[0])
        if node.op in ("Placeholder", "PlaceholderWithDefault"):
            shape = _shape(node.attr["shape"].shape) if "shape" in node.attr else None
            placeholders.append({"name": node.name + ":0",
                                 "dtype": dtype_name(node.attr["dtype"].type),
                                 "shape": shape})
        elif node.op in VARIABLE_OPS:
            variables.append(node.name)
        elif node.op == "Const" and "value" in node.attr:
            tensor = node.attr["value"].tensor
            n = 1
            for d in tensor.tensor_shape.dim:
                n *= max(d.size, 0)
            size = len(contents[i]) if i in contents else len(tensor.tensor_content) or \
                n * _itemsize(tensor.dtype)
            const_bytes += size
            if tensor.dtype in _FLOAT_ENUMS:
                params += n
                param_bytes += n * _itemsize(tensor.dtype)
    outputs = [{"name": n.name + ":0", "op": n.op, "shapes": _output_shapes(n)}
               for n in gd.node if n.name not in consumed and n.op not in _SINKLESS_OPS
               and n.op not in VARIABLE_OPS and not n.op.startswith(("Save", "Restore"))]
    # TF2's graphs keep the model in their function library (inlined when loaded).
    in_functions = Counter(n.op for f in gd.library.function for n in f.node_def)
    return {
        "nodes": len(gd.node),
        "op_histogram": _by_count(histogram),
        "functions": len(gd.library.function),
        "function_op_histogram": _by_count(in_functions),
        "parameters": params,
        "parameter_bytes": param_bytes,
        "const_bytes": const_bytes,
        "placeholders": placeholders,
        "graph_outputs": outputs,
        "variables": variables,
        "frozen": not variables,
        "producer": gd.versions.producer,
        "min_consumer": gd.versions.min_consumer,
    }


def _checkpoint_parameters(file) -> tuple[int, int]:
    """(elements, bytes) of the float tensors of the SavedModel's variables/ checkpoint, from
    its index's shapes (no tensor data read); (0, 0) without one. TF2's optimizer state
    (``optimizer/...`` keys) is not the model's, so it is left out, as Keras' count does."""
    from minitf.train.tensor_bundle_entry import is_bundle
    from minitf.train.tensor_bundle_reader import read_index

    prefix = os.path.join(os.path.dirname(file), "variables", "variables")
    if not is_bundle(prefix):
        return 0, 0
    _, entries = read_index(prefix)
    params = nbytes = 0
    for name, entry in entries.items():
        if entry.dtype in _FLOAT_ENUMS and not name.startswith("optimizer/"):
            n = 1
            for d in entry.shape:
                n *= d
            params += n
            nbytes += n * _itemsize(entry.dtype)
    return params, nbytes


def _by_count(counter) -> dict:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def inspect_model(path, tags=None) -> dict:
    """Describes a SavedModel directory (or its saved_model.pb) or a frozen GraphDef file.

    For a SavedModel, the MetaGraphDef with ``tags`` (default: the first one) is described and
    ``meta_graphs`` lists the tag sets of all. A frozen GraphDef has no signatures; its
    ``placeholders`` and ``graph_outputs`` (nodes nothing consumes) are the likely candidates.
    Raises the loader's documented errors (NotFoundError, DataLossError, InvalidArgumentError)
    for files that are not models.
    """
    path = os.fspath(path)
    fmt, file, size, sm, gd, contents = _read_protos(path)
    info = {"path": path, "format": fmt, "file": file, "file_size": size}
    if fmt == "saved_model":
        mi = _meta_index(sm, tags, file)
        meta = sm.meta_graphs[mi]
        gd = meta.graph_def
        contents = {k[1]: v for k, v in contents.items() if k[0] == mi}
        info["meta_graphs"] = [list(m.meta_info_def.tags) for m in sm.meta_graphs]
        info["tags"] = list(meta.meta_info_def.tags)
        info["tensorflow_version"] = meta.meta_info_def.tensorflow_version
        info["tensorflow_git_version"] = meta.meta_info_def.tensorflow_git_version
        info["signatures"] = {
            name: {"method_name": sd.method_name,
                   "inputs": {a: _tensor_info(t) for a, t in sorted(sd.inputs.items())},
                   "outputs": {a: _tensor_info(t) for a, t in sorted(sd.outputs.items())}}
            for name, sd in sorted(meta.signature_def.items())}
        roots = [_parse_input(t.name)[0] for name, sd in meta.signature_def.items()
                 if name != "__saved_model_init_op"
                 for t in (*sd.inputs.values(), *sd.outputs.values()) if t.name]
    else:
        info["signatures"], roots = {}, None
    info.update(_graph_summary(gd, contents))
    if fmt == "saved_model" and info["variables"]:
        # Not frozen: the weights are in variables/, not in the graph's constants.
        params, nbytes = _checkpoint_parameters(file)
        info["checkpoint_parameters"] = params
        info["parameters"] += params
        info["parameter_bytes"] += nbytes
    info["missing_ops"] = missing_ops(gd, roots)
    info["unsupported_dtypes"] = unsupported_dtypes(gd, roots)
    return info


# -- text report --------------------------------------------------------------------------------
def _fmt_shape(shape) -> str:
    if shape is None:
        return "unknown rank"
    return "(" + ", ".join("-1" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _fmt_bytes(n: float) -> str:
    if n < 1024:
        return f"{int(n)} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            break
    return f"{n:.1f} {unit}"


def format_report(info: dict) -> str:
    """``inspect_model``'s dict as text (in the spirit of TensorFlow's saved_model_cli show)."""
    lines = [f"{info['path']}",
             f"  format: {'SavedModel' if info['format'] == 'saved_model' else 'GraphDef'}"
             f" ({info['file']}, {_fmt_bytes(info['file_size'])})",
             f"  producer: {info['producer']}"]
    if info.get("tags") is not None:
        lines.append(f"  tags: {', '.join(info['tags']) or '(none)'}"
                     + (f"   (all: {info['meta_graphs']})" if len(info["meta_graphs"]) > 1
                        else ""))
    if info["format"] == "saved_model":
        lines.append("")
        if not info["signatures"]:
            lines.append("signatures: none")
        for name, sig in info["signatures"].items():
            lines.append(f"signature_def['{name}']:  method {sig['method_name']}")
            for kind in ("inputs", "outputs"):
                lines.append(f"  {kind}:")
                for alias, t in sig[kind].items():
                    where = t["name"] if t["name"] is not None else f"<{t.get('encoding')}>"
                    lines.append(f"    {alias}: {where}  {t['dtype']} {_fmt_shape(t['shape'])}")
    else:
        lines.append("")
        lines.append("no signatures (a frozen GraphDef); likely inputs and outputs:")
        for p in info["placeholders"]:
            lines.append(f"  input  {p['name']}  {p['dtype']} {_fmt_shape(p['shape'])}")
        for o in info["graph_outputs"]:
            shapes = ", ".join(_fmt_shape(s) for s in o["shapes"])
            lines.append(f"  output {o['name']}  ({o['op']}){'  ' + shapes if shapes else ''}")
    lines.append("")
    lines.append(f"nodes: {info['nodes']}")
    where = "float constants and the variables/ checkpoint" \
        if info.get("checkpoint_parameters") else "float constants"
    lines.append(f"parameters: {info['parameters']:,} ({_fmt_bytes(info['parameter_bytes'])} "
                 f"in {where}; all constants {_fmt_bytes(info['const_bytes'])})")
    if info["variables"]:
        names = info["variables"]
        more = "..." if len(names) > 5 else ""
        how = "; frozen from its variables/ checkpoint when loaded" \
            if info["format"] == "saved_model" else ""
        lines.append(f"NOT FROZEN: {len(names)} variable(s) ({', '.join(names[:5])}{more})"
                     f"{how}")
    if info["missing_ops"]:
        where = "the signatures reach" if info["format"] == "saved_model" else "the graph has"
        lines.append(f"NOT SUPPORTED: ops {where} that minitf lacks: "
                     f"{', '.join(info['missing_ops'])}")
    if info["unsupported_dtypes"]:
        where = "the signatures reach" if info["format"] == "saved_model" else "the graph has"
        lines.append(f"NOT SUPPORTED: dtypes {where} that minitf lacks: "
                     f"{', '.join(info['unsupported_dtypes'])}")
    sections = [("ops:", info["op_histogram"])]
    if info["functions"]:
        sections.append((f"functions: {info['functions']} (inlined when loaded); ops in them:",
                         info["function_op_histogram"]))
    for title, histogram in sections:
        lines.append(title)
        width = max((len(k) for k in histogram), default=0)
        for op, count in histogram.items():
            lines.append(f"  {op:<{width}}  {count}")
    return "\n".join(lines)


# -- Graphviz -----------------------------------------------------------------------------------
def _records(graph):
    """(name, op type, [(source node, output index, label)], [control sources]) per node."""
    if hasattr(graph, "graph") and not isinstance(graph, graph_pb2.GraphDef):
        graph = graph.graph  # a FrozenGraph or a loaded Model
    if isinstance(graph, graph_pb2.GraphDef):
        shapes = {n.name: _output_shapes(n) for n in graph.node}
        for node in graph.node:
            data, control = [], []
            for text in node.input:
                src, idx = _parse_input(text)
                if idx < 0:
                    control.append(src)
                else:
                    out = shapes.get(src) or []
                    data.append((src, idx, _fmt_shape(out[idx]) if idx < len(out) else ""))
            yield node.name, node.op, data, control
        return
    if not hasattr(graph, "get_operations"):
        raise TypeError(f"to_dot needs a Graph or a GraphDef, got {type(graph).__name__}")
    for op in graph.get_operations():
        data = [(t.op.name, t.value_index, _fmt_shape(t.shape.as_list() if t.shape.rank is not
                                                       None else None)) for t in op.inputs]
        yield op.name, op.type, data, [c.name for c in op.control_inputs]


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _q(text: str) -> str:
    return '"' + _esc(text) + '"'


_STYLE = {
    "Placeholder": 'shape=ellipse style=filled fillcolor="#c6e5ff"',
    "PlaceholderWithDefault": 'shape=ellipse style=filled fillcolor="#c6e5ff"',
    "Const": 'shape=box style="rounded,filled" fillcolor="#eeeeee" fontsize=9',
    "VariableV2": 'shape=box style="rounded,filled" fillcolor="#ffe0b3"',
}


def to_dot(graph, name: str = "minitf", show_shapes: bool = True) -> str:
    """Graphviz DOT for a Graph, a GraphDef, a FrozenGraph or a loaded Model. Nodes are grouped
    into nested clusters by name scope ("dense/kernel" is in cluster "dense"); data edges carry
    the tensor's shape when known, control edges are dashed."""
    records = list(_records(graph))
    parents = {rec[0].rpartition("/")[0] for rec in records}
    scopes: dict[str, list] = {}
    for rec in records:
        # A node that is also a scope ("w" beside "w/read") joins that scope's cluster.
        scope = rec[0] if rec[0] in parents else rec[0].rpartition("/")[0]
        scopes.setdefault(scope, []).append(rec)
    # Every ancestor scope of a scope with nodes is a cluster too (for nesting).
    all_scopes = set()
    for scope in scopes:
        parts = scope.split("/") if scope else []
        for i in range(1, len(parts) + 1):
            all_scopes.add("/".join(parts[:i]))
    children: dict[str, list] = {}
    for scope in sorted(all_scopes):
        children.setdefault(scope.rpartition("/")[0], []).append(scope)
    names = {rec[0] for rec in records}

    lines = [f"digraph {_q(name)} {{", "  rankdir=TB;",
             '  node [shape=box style=rounded fontname="Helvetica" fontsize=10];',
             '  edge [fontname="Helvetica" fontsize=8];']

    def emit(scope: str, indent: str):
        for node_name, op, _, _ in scopes.get(scope, []):
            short = node_name[len(scope) + 1:] if scope and node_name != scope else \
                node_name.rpartition("/")[2]
            label = f'"{_esc(short)}\\n{_esc(op)}"' if short != op else _q(op)  # \\n: DOT newline
            style = _STYLE.get(op, "")
            lines.append(f"{indent}{_q(node_name)} [label={label} tooltip={_q(node_name)}"
                         f"{' ' + style if style else ''}];")
        for child in children.get(scope, []):
            lines.append(f"{indent}subgraph {_q('cluster_' + child)} {{")
            lines.append(f"{indent}  label={_q(child.rpartition('/')[2])}; style=rounded; "
                         'color="#999999";')
            emit(child, indent + "  ")
            lines.append(f"{indent}}}")

    emit("", "  ")
    for node_name, _, data, control in records:
        for src, idx, shape in data:
            if src not in names:
                continue
            label = shape if show_shapes and shape else ""
            if idx:
                label = f":{idx} {label}".strip()
            attrs = f" [label={_q(label)}]" if label else ""
            lines.append(f"  {_q(src)} -> {_q(node_name)}{attrs};")
        for src in control:
            if src in names:
                lines.append(f"  {_q(src)} -> {_q(node_name)} [style=dashed color=\"#888888\"];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, path, fmt: str | None = None, timeout: float = 120.0) -> str:
    """Renders DOT text to ``path`` with Graphviz's ``dot`` (format from the suffix: png, svg,
    pdf...). Raises FailedPreconditionError when Graphviz is not installed."""
    path = os.fspath(path)
    fmt = fmt or os.path.splitext(path)[1].lstrip(".").lower() or "png"
    exe = shutil.which("dot")
    if exe is None:
        raise FailedPreconditionError(
            None, None, "rendering needs Graphviz's `dot` program, which is not on PATH: install "
            "Graphviz (e.g. apt-get install graphviz, brew install graphviz), or write the DOT "
            "text (to_dot / `minitf inspect --dot`) and render it elsewhere")
    try:
        done = subprocess.run([exe, f"-T{fmt}", "-o", path], input=dot.encode(),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise UnknownError(None, None, f"Graphviz dot took longer than {timeout:g} s to render "
                           f"{path}") from None
    if done.returncode != 0:
        raise UnknownError(None, None, f"Graphviz dot failed to render {path} (exit "
                           f"{done.returncode}): {done.stderr.decode(errors='replace').strip()}")
    return path
