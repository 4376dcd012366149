"""How a model version is loaded, as TF Serving's SavedModel loader does it: the MetaGraphDef
of the configured tags, the version's recorded warm-up requests replayed (warmup.py), a failed
load retried as its LoaderHarness retries, and TF Serving's per-version batching parameters.
The repository (repository.py) decides what to load and when; this module does the loading."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace

from minitf.export import load_saved_model
from minitf.export.saved_model import SERVE_TAG, saved_model_file

from . import warmup
from .batching import BatchingConfig
from .servable import Servable

log = logging.getLogger("minitf.serving")

BATCHING_PARAMS_FILE = "batching_params.pbtxt"  # TF Serving's per-model batching parameters


def load_version(path: str, name: str, version: int, *, tags=(SERVE_TAG,),
                 warm_up: bool = True, warmup_iterations: int = 1) -> Servable:
    """Loads a version as TF Serving's SavedModel loader does: the MetaGraphDef whose tag set is
    ``tags``, then (``warm_up``) its recorded warm-up requests replayed -- a failing one fails
    the load -- or, without any, each signature run once on zeros."""
    servable = Servable(name, version, load_saved_model(path, tags), warm_up=False)
    if warm_up:
        warmup.warm_up(servable, path, warmup_iterations)
    return servable


def make_loader(saved_model_tags=(SERVE_TAG,), enable_model_warmup: bool = True,
                num_request_iterations: int = 1) -> Callable[[str, str, int], Servable]:
    """The loader for TF Serving's --saved_model_tags, --enable_model_warmup and
    --num_request_iterations_for_warmup."""
    return functools.partial(load_version, tags=tuple(saved_model_tags),
                             warm_up=enable_model_warmup,
                             warmup_iterations=num_request_iterations)


def version_fingerprint(path: str) -> tuple:
    """What a version's files look like (modification times and sizes): what a failed version
    must change to be retried, and what an explicit Load compares to reload a changed one.
    Its model file, its warm-up requests and its batching parameters."""
    out = []
    for file in (saved_model_file(path) or os.path.join(path, "saved_model.pb"),
                 warmup.warmup_file(path), os.path.join(path, BATCHING_PARAMS_FILE)):
        try:
            st = os.stat(file)
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


def load_with_retries(load: Callable, retries: int, interval: float, stop: threading.Event,
                      path: str, what: str):
    """``load()``, retried up to ``retries`` times ``interval`` seconds apart, as TF Serving's
    LoaderHarness, while the version is still wanted: a set ``stop``, or the version's
    directory gone, ends the retries. Raises the last failure."""
    for attempt in range(retries + 1):
        try:
            return load()
        except Exception as e:
            if attempt == retries or stop.is_set():
                raise
            log.warning("Loading servable %s failed (attempt %d of %d): %s; retrying in %gs",
                        what, attempt + 1, retries + 1, e, interval)
            if stop.wait(max(interval, 0)) or not os.path.isdir(path):
                raise


def per_version_batching(path: str, server: BatchingConfig) -> BatchingConfig | None:
    """TF Serving's --enable_per_model_batching_parameters: a version batches only if it has a
    batching_params.pbtxt, with the file's parameters over the defaults, not over the server's
    settings; only the thread count (TF Serving's shared pool) is the server's, even when the
    file names one. None: the version does not batch."""
    file = os.path.join(path, BATCHING_PARAMS_FILE)
    if not os.path.exists(file):
        return None
    from .config import load_batching_parameters_file  # config imports the repository
    params = load_batching_parameters_file(file, BatchingConfig(enabled=True))
    return replace(params, num_batch_threads=server.num_batch_threads)


__all__ = ["BATCHING_PARAMS_FILE", "load_version", "make_loader", "version_fingerprint",
           "load_with_retries", "per_version_batching"]
