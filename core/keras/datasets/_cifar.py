"""CIFAR from its binary release (records of label byte(s) + 3072 channel-major pixels): Keras
reads the pickled "python" release, which minitf refuses to unpickle."""

import os

import numpy as np

from ._cache import cache_dir


def _channels_last(x):
    from ..backend import image_data_format
    return x.transpose(0, 2, 3, 1) if image_data_format() == "channels_last" else x


def read_binary(dirname, files, label_bytes, label_index, origin, pickled_dirname):
    """(x, y) over ``files`` in ``<cache>/dirname``; y is ``(n, 1)``."""
    folder = os.path.join(cache_dir(), dirname)
    missing = [f for f in files if not os.path.exists(os.path.join(folder, f))]
    if missing:
        why = ""
        if os.path.isdir(os.path.join(cache_dir(), pickled_dirname)):
            why = (f" ({os.path.join(cache_dir(), pickled_dirname)} holds the pickled Python "
                   "release, which minitf never unpickles: a pickle can run arbitrary code)")
        raise FileNotFoundError(
            f"{os.path.join(folder, missing[0])} not found{why}: minitf's tf.keras.datasets "
            f"does not download. Fetch the binary release {origin} and extract it into "
            f"{cache_dir()}.")
    xs, ys = [], []
    for f in files:
        raw = np.fromfile(os.path.join(folder, f), np.uint8)
        rec = label_bytes + 3072
        if raw.size % rec:
            raise ValueError(f"{os.path.join(folder, f)} is not a CIFAR binary file: its size "
                             f"is not a multiple of {rec} bytes")
        raw = raw.reshape(-1, rec)
        ys.append(raw[:, label_index])
        xs.append(raw[:, label_bytes:].reshape(-1, 3, 32, 32))
    return _channels_last(np.concatenate(xs)), np.concatenate(ys).reshape(-1, 1)
