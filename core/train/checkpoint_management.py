"""The files around a checkpoint (TF's checkpoint_management): the ``checkpoint`` state file
that names the latest and the retained prefixes, finding a checkpoint's files in either format,
and removing them (the Saver's max_to_keep)."""

from __future__ import annotations

import os
import re

from .. import tf_logging as logging
from . import tensor_bundle
from .npz_format import _SUFFIX, _is_npz


def _checkpoint_files(prefix) -> list:
    """The files of checkpoint ``prefix`` that exist, in either format (index first)."""
    p = str(prefix)
    files = [f for f in (p + _SUFFIX, tensor_bundle.index_filename(p)) if os.path.exists(f)]
    shards = re.compile(re.escape(os.path.basename(p)) + r"\.data-\d{5}-of-\d{5}$")
    directory = os.path.dirname(p) or "."
    if os.path.isdir(directory):
        files += sorted(os.path.join(directory, f) for f in os.listdir(directory)
                        if shards.match(f))
    return files


def _remove(prefix, npz=True, bundle=True):
    """Deletes checkpoint ``prefix``'s files of the given formats (a missing file is fine)."""
    for f in _checkpoint_files(prefix):
        is_npz = f.endswith(_SUFFIX) and f == str(prefix) + _SUFFIX
        if (npz and is_npz) or (bundle and not is_npz):
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass


def _write_state(directory, latest, all_paths, filename, relative=False):
    def rel(p):  # TF's: relative with save_relative_paths, or when the directory also is
        if relative and os.path.isabs(p) or not (os.path.isabs(directory) or os.path.isabs(p)):
            return os.path.relpath(p, directory)
        return p
    lines = [f'model_checkpoint_path: "{rel(latest)}"']
    lines += [f'all_model_checkpoint_paths: "{rel(p)}"' for p in all_paths]
    fd, tmp = tensor_bundle.temp_file(directory, ".tmp-state-")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, os.path.join(directory, filename))


class CheckpointState:
    def __init__(self, model_checkpoint_path, all_model_checkpoint_paths):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = all_model_checkpoint_paths


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    path = os.path.join(checkpoint_dir, latest_filename or "checkpoint")
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:  # a directory, unreadable...: TF logs it and finds no checkpoint
        logging.warning(f"{path}: {e.strerror or e}: no checkpoint state read from it")
        return None
    latest = re.search(r'^model_checkpoint_path:\s*"(.*)"', text, re.M)
    if not latest:
        return None
    all_paths = re.findall(r'^all_model_checkpoint_paths:\s*"(.*)"', text, re.M)

    def absolute(p):
        return p if os.path.isabs(p) else os.path.join(checkpoint_dir, p)
    return CheckpointState(absolute(latest.group(1)), [absolute(p) for p in all_paths])


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint in ``checkpoint_dir``, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not checkpoint_exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path


def checkpoint_exists(checkpoint_prefix) -> bool:
    """True for a minitf (``P.npz``) or TensorFlow (``P.index``) checkpoint prefix."""
    return _is_npz(checkpoint_prefix) or tensor_bundle.is_bundle(checkpoint_prefix)
