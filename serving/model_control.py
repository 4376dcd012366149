"""Triton's model control modes and its model repository extension (RepositoryIndex,
RepositoryModelLoad, RepositoryModelUnload), over minitf's ModelRepository.

The configured models (--model_base_path / --model_config_file, or a reload) are the
repository. ``--model_control_mode``:

- ``poll`` (minitf's default, its behaviour before the flag): every configured model loads at
  start and its versions are polled every --file_system_poll_wait_seconds; Load and Unload are
  refused, as Triton refuses them in POLL mode.
- ``none``: the same, but the versions are read once, at start (Triton ignores repository
  changes in NONE mode); Load and Unload are refused.
- ``explicit``: only the models named by ``--load_model`` (``*``: all) load at start, and the
  versions on disk are not polled (as Triton, every change is asked for): Load loads a
  configured model, or reloads it (new versions load, removed ones unload, a version whose
  files changed loads again, each before it replaces the old); Unload unloads every version of
  one and holds it unloaded. Reconfigurations (HandleReloadConfigRequest, --model_config_file
  polling) leave a held model unloaded, and a model a reconfiguration adds joins unloaded.
  A held model has no version to check version labels against: the labels it is configured
  with (at start or by a reconfiguration) wait, unchecked and not served, for the Load that
  loads it, which applies them as TF Serving applies a config's (FAILED_PRECONDITION for a
  new or moved label naming a version not available). An Unload keeps its labels.

This module is the repository's friend: Load and Unload run under its poll lock, so they are
ordered with polls and reconfigurations, and use its own load and unload steps (a version
loads, compiles and warms up before it serves; an unloaded version's in-flight requests
finish).
"""

from __future__ import annotations

from typing import NamedTuple

from minitf.errors import (FailedPreconditionError, InternalError, InvalidArgumentError,
                           NotFoundError, UnavailableError, UnimplementedError)

from .repository import ModelRepository, State

MODES = ("none", "poll", "explicit")
DEFAULT_MODE = "poll"

# Triton's ModelReadyState names for TF Serving's version states (START is before LOADING;
# END is a version that failed to load or was unloaded: Triton's UNAVAILABLE, with a reason).
STATE_NAMES = {State.UNKNOWN: "UNKNOWN", State.START: "LOADING", State.LOADING: "LOADING",
               State.AVAILABLE: "READY", State.UNLOADING: "UNLOADING",
               State.END: "UNAVAILABLE"}

# Triton's answer to Load/Unload outside EXPLICIT mode (model_repository_manager.cc).
NOT_ALLOWED = "explicit model load / unload is not allowed if polling is enabled"


class IndexEntry(NamedTuple):
    """One RepositoryIndex entry: a model never loaded has only its name (as Triton's)."""

    name: str
    version: int | None = None
    state: str | None = None
    reason: str = ""


def startup_unloaded(mode: str, load_models, names) -> set[str]:
    """The configured models that start unloaded: in explicit mode those --load_model does not
    name. Raises ValueError for an unknown mode, --load_model outside explicit mode (as
    Triton), '*' with other names, or a name that is not configured."""
    if mode not in MODES:
        raise ValueError(f"--model_control_mode: unknown mode {mode!r} (expected one of "
                         f"{', '.join(MODES)})")
    load_models = list(load_models or ())
    if load_models and mode != "explicit":
        raise ValueError("Use of '--load_model' requires setting '--model_control_mode="
                         "explicit' as well.")
    if mode != "explicit":
        return set()
    if "*" in load_models:
        if len(load_models) > 1:
            raise ValueError("--load_model: the wildcard '*' (every model) must be the only "
                             f"--load_model if given, got {load_models}")
        return set()
    unknown = [n for n in load_models if n not in names]
    if unknown:
        raise ValueError(f"--load_model: {', '.join(unknown)} not among the configured models "
                         f"({', '.join(sorted(names)) or 'none'})")
    return set(names) - set(load_models)


def check_load_parameter(key: str):
    """Refuses a RepositoryModelLoad parameter (its value's type already checked): minitf
    loads a configured model from its base path, with no Triton model config to override."""
    if key == "config":
        raise UnimplementedError(
            None, None, "load parameter 'config' is not supported: minitf serves SavedModels, "
            "which have no Triton model configuration to override (change the model's entry "
            "in --model_config_file or reload the configuration instead)")
    if key.startswith("file:"):
        raise UnimplementedError(
            None, None, f"load parameter '{key}' is not supported: minitf loads a model only "
            "from its configured base path, not from files sent with the request")
    raise InvalidArgumentError(None, None, f"unrecognized load parameter '{key}'.")


class ModelControl:
    """Load, Unload and the index of a ModelRepository, with Triton's answers."""

    def __init__(self, repository: ModelRepository):
        self.repository = repository

    @property
    def mode(self) -> str:
        return self.repository.control_mode

    def _check_mode(self):
        if self.mode != "explicit":
            raise UnavailableError(None, None, NOT_ALLOWED)

    # -- RepositoryIndex -----------------------------------------------------------------------
    def index(self, ready_only: bool = False) -> list[IndexEntry]:
        """Every configured model, by name: one entry per version the repository has a state
        for (READY, LOADING, UNLOADING, UNAVAILABLE with the load error or "unloaded"), or
        the name alone for a model never loaded; ``ready_only``: READY versions only."""
        repo = self.repository
        out = []
        for name in sorted(repo.model_names()):
            try:
                statuses = repo.status(name)
            except NotFoundError:  # never loaded, or removed meanwhile
                if not ready_only and name in repo.model_names():
                    out.append(IndexEntry(name))
                continue
            for s in statuses:
                state = STATE_NAMES.get(s.state, "UNKNOWN")
                if ready_only and state != "READY":
                    continue
                reason = s.error.message if s.error is not None else \
                    "unloaded" if s.state == State.END else ""
                out.append(IndexEntry(name, s.version, state, reason))
        return out

    # -- RepositoryModelLoad -------------------------------------------------------------------
    def load(self, name: str):
        """Loads the versions of configured model ``name`` its policy wants (those already
        serving stay unless their files changed; versions that failed before are retried) and
        returns once each has loaded or failed. A failure is INVALID_ARGUMENT naming each
        failed version and why, as Triton's; versions that did load serve (minitf keeps
        whatever works). Then the version labels the model was configured with while held
        unloaded apply, checked as a reconfiguration's (TF Serving's FAILED_PRECONDITION for
        a new or moved label naming a version not available: its labels stay as they were,
        and the next Load tries again)."""
        self._check_mode()
        repo = self.repository
        with repo._poll_lock:  # ordered with polls, reconfigurations and other loads
            if repo._stop.is_set():
                raise UnavailableError(None, None, "Server not ready: it is stopping")
            if name not in repo.model_names():  # Triton's answer for a name it cannot find
                raise InternalError(None, None, f"failed to load '{name}', failed to poll "
                                    "from model repository")
            cfg = repo.config(name)
            if not repo._wanted(cfg, repo._discover(cfg)):  # nothing changes
                raise InvalidArgumentError(
                    None, None, f"load failed for model '{name}': at least one version must "
                    f"be available under the version policy of model '{name}' (base path "
                    f"{cfg.base_path})\n")
            repo.unloaded.discard(name)
            # As Triton, a Load retries: forget which versions failed (polls do not retry them)
            repo._failed = {k: v for k, v in repo._failed.items() if k[0] != name}
            repo._sync(cfg, reload_changed=True)
            failed = sorted(v for n, v in repo._failed if n == name)
            try:  # labels a reconfiguration gave it while held, now it has versions
                repo.apply_pending_labels(name)
                label_error = None
            except FailedPreconditionError as e:
                label_error = e
        if failed:
            statuses = {s.version: s for s in repo.status(name)}
            parts = []
            for v in failed:
                s = statuses.get(v)
                state = STATE_NAMES.get(s.state, "UNKNOWN") if s is not None else "UNAVAILABLE"
                reason = s.error.message if s is not None and s.error is not None else \
                    "failed to load (see the server log)"
                parts.append(f"version {v} is at {state} state: {reason};")
            raise InvalidArgumentError(None, None, f"load failed for model '{name}': "
                                       + "".join(parts) + "\n")
        if label_error is not None:
            raise label_error

    # -- RepositoryModelUnload -----------------------------------------------------------------
    def unload(self, name: str):
        """Unloads every version of configured model ``name`` (each one's in-flight and queued
        requests finish) and holds it unloaded until a Load. A model that is not configured
        or not loaded: nothing to do, success (as Triton's)."""
        self._check_mode()
        repo = self.repository
        with repo._poll_lock:
            if name not in repo.model_names():
                return
            repo.unloaded.add(name)
            for version in repo.available_versions(name):
                repo._unload(name, version)


__all__ = ["MODES", "DEFAULT_MODE", "STATE_NAMES", "NOT_ALLOWED", "IndexEntry", "ModelControl",
           "startup_unloaded", "check_load_parameter"]
