"""``model.summary()``: Keras' table of layers, output shapes and parameter counts."""

from __future__ import annotations

import numpy as np

__all__ = ["print_summary", "count_params"]


def count_params(weights) -> int:
    unique = {id(w): w for w in weights}.values()
    return int(sum(np.prod([0 if d is None else d for d in w.shape.as_list()])
                   for w in unique))


def _memory(weights) -> int:
    total = 0
    for w in {id(w): w for w in weights}.values():
        dims = w.shape.as_list()
        if None not in dims:
            total += int(np.prod(dims)) * w.dtype.base_dtype.size
    return total


def _readable(size) -> str:
    for unit in ["Byte", "KB", "MB", "GB", "TB", "PB"]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _sequential_like(model) -> bool:
    if type(model).__name__ == "Sequential" or not model._is_graph_network:
        return True
    nodes = []
    for v in model._nodes_by_depth.values():
        if len(v) > 1 or (len(v) == 1 and len(v[0].keras_inputs) > 1):
            return False
        nodes += v
    for layer in model.layers:
        if sum(1 for node in layer._inbound_nodes if node in nodes) > 1:
            return False
    return True


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Keras' (tf_keras') summary table."""
    print_fn = print_fn or print
    sequential_like = _sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        to_display = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.3, 0.6, 0.70, 1.0]
        to_display = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        relevant = [n for v in model._nodes_by_depth.values() for n in v]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def print_row(fields):
        left = [str(x) for x in fields]
        while any(left):
            line = ""
            for col in range(len(left)):
                start = positions[col - 1] if col > 0 else 0
                space = 2 if col != len(positions) - 1 else 0
                cutoff = positions[col] - start - space - (1 if col != len(positions) - 1
                                                           else 0)
                fit = left[col][:cutoff]
                cuts = [fit.find(x) + len(x) for x in ("),", "},", "],", "',")
                        if fit.find(x) >= 0]
                if cuts:
                    cutoff = min(cuts)
                    fit = fit[:cutoff]
                if col == 0:
                    line += " "
                line += fit + " " * space
                left[col] = left[col][cutoff:]
                line += " " * (positions[col] - len(line))
            print_fn(line)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_row(to_display)
    print_fn("=" * line_length)
    layers = model.layers
    for layer in layers:
        try:
            output_shape = layer.output_shape
        except (AttributeError, RuntimeError):
            output_shape = "multiple"
        name = f"{layer.name} ({type(layer).__name__})"
        if sequential_like:
            params = "0 (unused)" if not layer.built and \
                not getattr(layer, "_is_graph_network", False) else layer.count_params()
            print_row([name, output_shape, params])
        else:
            connections = [f"{inbound.name}[{node_index}][{tensor_index}]"
                           for node in layer._inbound_nodes if node in relevant
                           for inbound, node_index, tensor_index, _ in node.iterate_inbound()]
            print_row([name, output_shape, layer.count_params(), connections])
        print_fn(" " * line_length)
    print_fn("=" * line_length)
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    t_mem, n_mem = _memory(trainable), _memory(non_trainable)
    t_count, n_count = count_params(trainable), count_params(non_trainable)
    print_fn(f"Total params: {t_count + n_count} ({_readable(t_mem + n_mem)})")
    print_fn(f"Trainable params: {t_count} ({_readable(t_mem)})")
    print_fn(f"Non-trainable params: {n_count} ({_readable(n_mem)})")
    print_fn("_" * line_length)
