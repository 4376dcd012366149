"""The minitf command: serve, export, inspect, predict.

    minitf serve --model_name mlp --model_base_path models/mlp
    minitf serve --model_config_file models.json --port 8500 --http_port 8501
    minitf export --graph runs/mlp/graph.pbtxt --checkpoint runs/mlp \\
        --inputs images=images:0 --outputs probs=probs:0,classes=classes:0 \\
        --model_dir models/mlp --version 1
    minitf inspect models/mlp/1
    minitf predict --model mlp --input images=digits.npy [--api kserve]
    minitf predict --model census --api classify --input x='[[1,2,3,4]]'
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from minitf.errors import OpError

# The serve command lives in cli_serve.py; build_options is imported from here too.
from .cli_serve import _serve_parser, build_options  # noqa: F401


# -- export ---------------------------------------------------------------------------------------
def _pairs(text: str, what: str) -> dict[str, str]:
    """"a=x:0,b=y:0" or "x:0,y:0" (alias = op name) -> {alias: tensor name}."""
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        alias, sep, name = item.partition("=")
        if not sep:
            name, alias = item, item.split(":")[0].split("/")[-1]
        if alias in out:
            raise ValueError(f"{what}: alias {alias!r} given twice")
        out[alias] = name if ":" in name else name + ":0"
    if not out:
        raise ValueError(f"{what}: no tensors given")
    return out


def _export_parser(sub):
    p = sub.add_parser("export", help="freeze a training checkpoint into a served model",
                       description="Rebuild the training graph (from --graph or --script), "
                       "restore --checkpoint, freeze it for the signature and write "
                       "<model_dir>/<version>/saved_model.pb atomically.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--graph", help="the training GraphDef (graph.pbtxt text or binary .pb)")
    src.add_argument("--script", help="a Python file whose build_graph() builds the graph")
    p.add_argument("--checkpoint", required=True,
                   help="checkpoint prefix, or a directory with a 'checkpoint' file")
    p.add_argument("--inputs", required=True, help="alias=tensor,... (e.g. images=images:0)")
    p.add_argument("--outputs", required=True, help="alias=tensor,... (e.g. probs=probs:0)")
    p.add_argument("--model_dir", required=True, help="the model's base path")
    p.add_argument("--version", type=int, default=None, help="version number (default: the "
                   "next one)")
    p.set_defaults(func=export)


def export(args) -> int:
    import minitf as tf
    from minitf.export import freeze_from_checkpoint, save_model

    try:
        if args.version is not None and args.version < 0:  # the server reads digits only
            raise ValueError(f"--version must be >= 0, got {args.version}")
        inputs = _pairs(args.inputs, "--inputs")
        outputs = _pairs(args.outputs, "--outputs")
        graph = tf.Graph()
        with graph.as_default():
            if args.graph:
                _import_graph_file(args.graph, inputs, outputs)
            else:
                _run_script(args.script)
        frozen = freeze_from_checkpoint(graph, args.checkpoint, inputs, outputs)
        version = args.version if args.version is not None else _next_version(args.model_dir)
        path = save_model(os.path.join(args.model_dir, str(version)), frozen)
    except (OpError, ValueError, OSError, KeyError) as e:
        print(f"minitf export: {e}", file=sys.stderr)
        return 1
    print(f"exported {path} (inputs {sorted(inputs)}, outputs {sorted(outputs)})")
    return 0


def _import_graph_file(path, inputs, outputs):
    import minitf as tf
    from minitf.export.freeze import graph_def_for_outputs
    from minitf.export.graph_def import _parse_input, parse_text_proto
    from minitf.protos import graph_pb2

    with open(path, "rb") as f:
        data = f.read()
    gd = graph_pb2.GraphDef()
    if path.endswith((".pbtxt", ".txt")):
        parse_text_proto(data, gd, path, "GraphDef")
    else:
        try:
            gd.ParseFromString(data)
        except Exception as e:  # noqa: BLE001 - any parse failure is a bad file
            raise ValueError(f"{path}: not a GraphDef ({e})") from None
    # Only what the outputs need: a training graph's initializers, optimizer and saver may use
    # ops minitf lacks, and the export never runs them (the checkpoint has the values).
    names = [_parse_input(t)[0] for t in (*inputs.values(), *outputs.values())]
    missing = [n for n in names if n not in {node.name for node in gd.node}]
    if missing:
        raise ValueError(f"{path} has no node {missing[0]!r} (named by --inputs/--outputs)")
    tf.import_graph_def(graph_def_for_outputs(gd, names), name="")


def _run_script(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("_minitf_export_script", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "build_graph"):
        raise ValueError(f"{path} defines no build_graph()")
    module.build_graph()


def _next_version(model_dir) -> int:
    try:
        versions = [int(n) for n in os.listdir(model_dir) if n.isdigit()]
    except FileNotFoundError:
        versions = []
    return max(versions, default=0) + 1


# -- inspect --------------------------------------------------------------------------------------
def _inspect_parser(sub):
    p = sub.add_parser("inspect", help="describe a model: signatures, ops, parameters",
                       description="Describe a SavedModel directory or a frozen GraphDef file.")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--dot", help="write the graph as Graphviz DOT to this file")
    p.add_argument("--graph-png", dest="graph_png", help="render the graph to this PNG/SVG "
                   "(needs Graphviz's dot)")
    p.set_defaults(func=inspect)


def inspect(args) -> int:
    from minitf.export import inspect as mi

    try:
        info = mi.inspect_model(args.path)
        if args.json:
            print(json.dumps(info, indent=2, default=str))
        else:
            print(mi.format_report(info))
        if args.dot or args.graph_png:
            graph = mi.load_graph(args.path)
            dot = mi.to_dot(graph)
            if args.dot:
                with open(args.dot, "w") as f:
                    f.write(dot)
            if args.graph_png:
                mi.render(dot, args.graph_png)
                print(f"wrote {args.graph_png}")
    except (OpError, ValueError, OSError, RuntimeError) as e:
        print(f"minitf inspect: {e}", file=sys.stderr)
        return 1
    return 0


# -- predict --------------------------------------------------------------------------------------
def _predict_parser(sub):
    p = sub.add_parser("predict", help="send a prediction request",
                       description="Send one request over TF Serving's Predict, Classify or "
                       "Regress, KServe v2's ModelInfer or SessionRun and print the outputs.")
    p.add_argument("--server", default="127.0.0.1:8500", help="host:port of the gRPC API")
    p.add_argument("--model", required=True)
    p.add_argument("--version", type=int)
    p.add_argument("--signature", default=None)
    p.add_argument("--api", choices=["tfserving", "kserve", "session", "classify", "regress"],
                   default="tfserving")
    p.add_argument("--input", action="append", required=True,
                   help="alias=FILE.npy or alias=JSON (e.g. x='[[1,2]]'); repeatable; for "
                   "--api session use tensor names (x:0); for classify/regress a tf.Example "
                   "feature per flag, row i of each being example i")
    p.add_argument("--dtype", default="float32", help="dtype for JSON inputs")
    p.add_argument("--output", action="append", default=[], help="output alias or tensor "
                   "name to return (default: all; required for --api session)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds for the request")
    p.add_argument("--wait", type=float, default=0.0,
                   help="first wait up to this many seconds for the server to be ready")
    p.set_defaults(func=predict)


def predict(args) -> int:
    import grpc

    from .client import Client

    inputs = {}
    for item in args.input:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"minitf predict: --input needs alias=value, got {item!r}", file=sys.stderr)
            return 2
        try:
            inputs[name] = np.load(value, allow_pickle=False) if value.endswith(".npy") else \
                np.asarray(json.loads(value), dtype=args.dtype)
        except (OSError, ValueError, TypeError) as e:  # JSONDecodeError is a ValueError
            print(f"minitf predict: --input {name}: {e}", file=sys.stderr)
            return 2
    try:
        with Client(args.server, timeout=args.timeout) as c:
            if args.wait > 0 and not c.wait_ready(args.wait):
                print(f"minitf predict: {args.server} was not ready within {args.wait:g}s",
                      file=sys.stderr)
                return 1
            if args.api == "tfserving":
                out = c.predict(args.model, inputs, args.version, args.signature, args.output)
            elif args.api == "classify":
                out = {"classifications": [
                    [{"label": label, "score": score} for label, score in row]
                    for row in c.classify(args.model, inputs, version=args.version,
                                          signature=args.signature)]}
            elif args.api == "regress":
                out = {"regressions": c.regress(args.model, inputs, version=args.version,
                                                signature=args.signature)}
            elif args.api == "kserve":
                out = c.infer(args.model, inputs, args.version, args.output)
            else:
                if not args.output:
                    print("minitf predict: --api session needs --output", file=sys.stderr)
                    return 2
                out = dict(zip(args.output, c.session_run(args.model, inputs, args.output,
                                                          version=args.version)))
    except grpc.RpcError as e:
        print(f"minitf predict: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    except (TypeError, ValueError) as e:  # features no tf.Example holds, ragged columns
        print(f"minitf predict: {e}", file=sys.stderr)
        return 2
    print(json.dumps({k: np.asarray(v).tolist() for k, v in out.items()},
                     default=lambda b: b.decode(errors="replace")))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="minitf", description=__doc__.split("\n\n")[0],
                                     allow_abbrev=False)
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    _export_parser(sub)
    _inspect_parser(sub)
    _predict_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
