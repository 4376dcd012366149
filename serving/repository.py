"""The model repository: ``<base_path>/<version>/saved_model.pb`` directories, a version policy,
polling, load-then-swap and unloading, and run-time changes of the model list
(``reconfigure``: TF Serving's HandleReloadConfigRequest and config-file polling).

A new version is parsed, compiled and warmed up before it becomes AVAILABLE and before any
older version is unloaded; a version that fails to load is reported (status, metric, log) and
whatever was serving keeps serving. Requests hold a reference to the version they resolved, so
an unload never interrupts them; the memory goes when the last one finishes.
"""

from __future__ import annotations

import enum
import gc
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from minitf.errors import (InvalidArgumentError, NotFoundError, OpError, UnavailableError,
                           UnknownError)
from minitf.export.saved_model import saved_model_file

from .batching import BatchingConfig, DynamicBatcher
from .loading import load_version, load_with_retries, per_version_batching, version_fingerprint
from .servable import Servable
from .version_labels import LabelMap, differences, labelled_version, validate_labels

log = logging.getLogger("minitf.serving")

_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


class State(enum.IntEnum):
    """TensorFlow Serving's ModelVersionStatus.State numbers."""

    UNKNOWN = 0
    START = 10
    LOADING = 20
    AVAILABLE = 30
    UNLOADING = 40
    END = 50


@dataclass
class ModelConfig:
    name: str
    base_path: str
    version_policy: str = "latest"  # "latest" (num_versions newest), "all", "specific"
    num_versions: int = 1
    versions: tuple = ()
    version_labels: dict = field(default_factory=dict)
    batching: BatchingConfig | None = None  # None: the server's default

    def __post_init__(self):
        if not isinstance(self.name, str) or not _MODEL_NAME.match(self.name) or \
                self.name in (".", ".."):
            raise ValueError(f"invalid model name {self.name!r}: use letters, digits, '_', "
                             "'-', '.' (no path separators)")
        if self.version_policy not in ("latest", "all", "specific"):
            raise ValueError(f"model {self.name}: unknown version policy "
                             f"{self.version_policy!r} (latest, all, specific)")
        if self.version_policy == "latest" and self.num_versions < 1:
            raise ValueError(f"model {self.name}: latest policy needs num_versions >= 1")
        if self.version_policy == "specific" and not self.versions:
            raise ValueError(f"model {self.name}: specific policy needs versions")
        self.versions = tuple(int(v) for v in self.versions)
        validate_labels(self.name, self.version_labels)
        self.base_path = os.path.abspath(os.path.expanduser(self.base_path))


@dataclass
class VersionStatus:
    version: int
    state: State
    error: OpError | None = None


class LoadedVersion:
    """A servable plus its per-signature batchers (absent when batching is off)."""

    def __init__(self, servable: Servable, batchers: dict[str, DynamicBatcher], path: str = "",
                 fingerprint=None):
        self.servable = servable
        self.batchers = batchers
        self.path = path  # where it was loaded from: a new base path reloads the version
        self.fingerprint = fingerprint  # its files' when loaded (loading.version_fingerprint)
        self.name = servable.name
        self.version = servable.version
        self.waiting = None  # its unbatched requests' pending count (DataPlane's)

    def stop(self):
        for b in self.batchers.values():
            b.stop(drain=True)


class ModelRepository:
    """Serves the configured models; ``poll()`` syncs them with the filesystem. A model's
    ``config(name).version_labels`` are the labels it serves (version_labels.py changes them)."""

    def __init__(self, configs: list[ModelConfig], *, default_batching: BatchingConfig | None =
                 None, loader: Callable[[str, str, int], Servable] = load_version,
                 observer=None, clock=time.monotonic, per_model_batching: bool = False,
                 control_mode: str = "poll", unloaded=(), load_retries: int = 0,
                 load_retry_seconds: float = 60.0, allow_unavailable_labels: bool = False):
        names = [c.name for c in configs]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate model names in the configuration: {names}")
        self._labels = LabelMap(configs, unloaded, lambda name: self._loaded.get(name, {}),
                                allow_unavailable_labels)  # the label step
        self._configs = self._labels.initial(configs)
        self._default_batching = default_batching
        # TF Serving's --enable_per_model_batching_parameters: with batching on, a version
        # batches only if it has a batching_params.pbtxt, with that file's parameters.
        self._per_model_batching = per_model_batching
        self._loader = loader
        # TF Serving's --max_num_load_retries / --load_retry_interval_micros (_attempt_load).
        self._load_retries, self._load_retry_seconds = load_retries, load_retry_seconds
        self._observer = observer
        self._clock = clock
        self._lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._loaded: dict[str, dict[int, LoadedVersion]] = {n: {} for n in names}
        self._status: dict[str, dict[int, VersionStatus]] = {n: {} for n in names}
        self._failed: dict[tuple[str, int], tuple] = {}
        self._no_versions: set[str] = set()  # models warned about having no version
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Triton's model control (model_control.py): configured models held unloaded, which
        # polls and reconfigurations leave alone until a RepositoryModelLoad.
        self.control_mode = control_mode
        self.unloaded: set[str] = set(unloaded)

    # -- queries (request path) ---------------------------------------------------------------
    def model_names(self) -> list[str]:
        return list(self._configs)

    def config(self, name: str) -> ModelConfig:
        try:
            return self._configs[name]
        except KeyError:
            raise NotFoundError(None, None, f"Servable not found for request: model '{name}' is "
                                "not served here") from None

    def get(self, name: str, version: int | None = None, label: str | None = None
            ) -> LoadedVersion:
        """The version a request should use: explicit, by label, or the newest available.
        NOT_FOUND in TF Serving's words (its manager's ServableRequest) for a model not
        served; KServe's servicer says it in Triton's."""
        cfg = self._configs.get(name)
        if cfg is None:
            raise NotFoundError(None, None, "Servable not found for request: " + (
                f"Latest({name})" if version is None else f"Specific({name}, {version})"))
        loaded = self._loaded.get(name, {})  # {} once a reconfiguration removed the model
        if label is not None:  # an empty label is a label too (TF Serving refuses it)
            version = labelled_version(cfg, label)
        if version is None:
            if not loaded:
                raise NotFoundError(None, None, f"Servable not found for request: Latest({name})"
                                    " - no version of the model is available")
            return loaded[max(loaded)]
        entry = loaded.get(int(version))
        if entry is None:
            raise NotFoundError(None, None, f"Servable not found for request: "
                                f"Specific({name}, {version})")
        return entry

    def status(self, name: str, version: int | None = None) -> list[VersionStatus]:
        """GetModelStatus: a model not served has no versions, in TF Serving's words."""
        statuses = self._status.get(name, {}) if name in self._configs else {}
        if version is not None:
            if int(version) not in statuses:
                raise NotFoundError(None, None, f"Could not find version {version} of model "
                                    f"{name}")
            return [statuses[int(version)]]
        if not statuses:
            raise NotFoundError(None, None, f"Could not find any versions of model {name}")
        return [statuses[v] for v in sorted(statuses)]

    def available_versions(self, name: str) -> list[int]:
        self.config(name)
        return sorted(self._loaded.get(name, {}))

    def is_ready(self) -> bool:
        loaded, unloaded = self._loaded, self.unloaded  # as Triton: unloaded is not unready
        return all(loaded.get(n) for n in self._configs if n not in unloaded)

    # -- lifecycle --------------------------------------------------------------------------
    def poll(self):
        """One pass: load new versions, then unload those no longer wanted."""
        with self._poll_lock:
            if self._stop.is_set():  # stop() may have waited for this lock: load nothing
                return
            for cfg in list(self._configs.values()):
                if cfg.name not in self.unloaded:
                    self._guarded_sync(cfg)

    def start(self, interval_seconds: float):
        """Polls now, then every ``interval_seconds`` in a background thread (<= 0: once).
        Raises FailedPreconditionError, as TF Serving's start-up, when a version label names a
        version that did not become available (a new one may, with allow_unavailable_labels)."""
        self.poll()
        with self._poll_lock:
            self._labels.check_all(self._configs, self.unloaded)
        if interval_seconds > 0:
            self._thread = threading.Thread(target=self._poll_loop, args=(interval_seconds,),
                                            name="model-poller", daemon=True)
            self._thread.start()

    def _poll_loop(self, interval):
        while not self._stop.wait(interval):
            self.poll()

    def interrupt(self):
        """Ends polling and load retries at once (any thread; a signal handler during start-up
        calls it); ``stop`` does the rest."""
        self._stop.set()

    def stop(self):
        """Stops polling and drains every batcher (queued requests still run)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        # A reconfiguration in progress finishes first (what it loaded is stopped below);
        # later ones are refused. Bounded, as the poller's join: a load may hang.
        locked = self._poll_lock.acquire(timeout=30)
        if not locked:
            log.warning("a model reconfiguration still running after 30 s is left to finish")
        try:
            self._stop_entries()
        finally:
            if locked:
                self._poll_lock.release()

    def _stop_entries(self):
        with self._lock:
            entries = [e for versions in self._loaded.values() for e in versions.values()]
        for e in entries:
            e.stop()

    # -- reconfiguration ------------------------------------------------------------------------
    def reconfigure(self, configs: list[ModelConfig]):
        """Serves ``configs`` from now on, as TF Serving's ReloadConfig (HandleReloadConfigRequest
        and the polled ``--model_config_file`` both come here): a model no longer listed is
        refused, then unloaded (its in-flight requests finish); a model whose base path or
        version policy changed is synced to them (new versions load before unwanted ones
        unload); a new model is loaded, each version before it serves (under explicit
        model control, it joins unloaded, and an unloaded model stays so: model_control.py).
        A model's batching applies to the versions it loads from now on.

        Version labels change last, all or none (version_labels.py): FailedPreconditionError
        when a new or moved label names a version that is not available (the models are
        updated, the labels stay as they were); a held model's new labels wait for its Load.

        Raises InvalidArgumentError, changing nothing, for a list naming a model twice; raises
        UnknownError, as TF Serving does, when a new model has no available version afterwards
        (the new list is in place: its versions load as they appear; the labels stay as they
        were)."""
        seen = set()
        for cfg in configs:
            if cfg.name in seen:  # TF Serving's ValidateModelConfigList
                raise InvalidArgumentError(None, None, f"Illegal to list model {cfg.name} "
                                           "multiple times in config list")
            seen.add(cfg.name)
        new = {c.name: c for c in configs}
        with self._poll_lock:  # one reconfiguration or poll at a time
            if self._stop.is_set():
                raise UnavailableError(None, None, "The server is stopping: the model "
                                       "configuration was not changed")
            old = self._configs
            removed = [n for n in old if n not in new]
            added = [n for n in new if n not in old]
            changed = {n: differences(old[n], new[n]) for n in new if n in old}
            changed = {n: what for n, what in changed.items() if what}
            if removed:
                self._configs = {n: c for n, c in old.items() if n in new}  # refused from now
                for name in removed:
                    self._remove(name)
            kept = self._labels.kept(old, new)  # the labels so far, until the label step
            for name, what in changed.items():
                log.info("Updating model %s: %s", name, ", ".join(what))
                if name not in self.unloaded:  # an unloaded one loads its new config on Load
                    self._guarded_sync(new[name])
                self._configs = {**self._configs, name: kept[name]}
            for name in added:
                log.info("Adding model %s (base path %s)", name, new[name].base_path)
                with self._lock:
                    self._loaded = {**self._loaded, name: {}}
                    self._status = {**self._status, name: {}}
                if self._observer is not None:
                    self._observer.add_models([name])  # its metrics labelled from the start
                if self.control_mode == "explicit":
                    self.unloaded.add(name)  # explicit control: loaded by a Load, not here
                else:
                    self._guarded_sync(new[name])
            self._configs = kept  # new models serve from here, every version loaded
            missing = [new[n] for n in added
                       if not self._loaded.get(n) and n not in self.unloaded]
            label_error = None
            if not missing:  # as TF Serving: labels only once the models are available
                self._configs, label_error = self._labels.update(self._configs, new, self.unloaded)
        if removed or added or changed:
            log.info("Model configuration applied: %d model(s); added %s, updated %s, "
                     "removed %s", len(new), added or "none", list(changed) or "none",
                     removed or "none")
        if missing:
            raise UnknownError(None, None, "Some models did not become available: {" + ", ".join(
                f"{c.name} ({self._unavailable_reason(c)})" for c in missing) + "}")
        if label_error is not None:
            raise label_error

    def apply_pending_labels(self, name: str):
        """The labels a reconfiguration gave model ``name`` while it was held unloaded, checked
        now that it loaded (as ``reconfigure``'s); FailedPreconditionError leaves its labels
        (and the pending ones, for its next Load) as they were. Under the poll lock."""
        self._configs = self._labels.apply_pending(name, self._configs)

    def _guarded_sync(self, cfg: ModelConfig):
        try:
            self._sync(cfg)
        except Exception:  # noqa: BLE001 - one model's trouble must not stop the others
            log.exception("model %s: error while syncing versions", cfg.name)

    def _unavailable_reason(self, cfg: ModelConfig) -> str:
        errors = [f"version {s.version}: {s.error.message}" for s in
                  self._status.get(cfg.name, {}).values() if s.error is not None]
        if errors:
            return "; ".join(errors)
        return f"no versions found under base path {cfg.base_path}"

    def _remove(self, name: str):
        log.info("Removing model %s", name)
        for version in sorted(self._loaded.get(name, {})):
            self._unload(name, version)
        with self._lock:
            self._loaded = {n: v for n, v in self._loaded.items() if n != name}
            self._status = {n: v for n, v in self._status.items() if n != name}
        self._failed = {k: v for k, v in self._failed.items() if k[0] != name}
        self._no_versions.discard(name)
        self._labels.forget(name)
        self.unloaded.discard(name)
        if self._observer is not None:
            self._observer.remove_models([name])
        log.info("Removed model %s", name)

    def _discover(self, cfg: ModelConfig) -> dict[int, str]:
        """Version number -> directory, for numeric subdirectories holding a saved_model.pb
        (or saved_model.pbtxt)."""
        try:
            names = os.listdir(cfg.base_path)
        except (FileNotFoundError, NotADirectoryError):  # no versions (logged once by _sync)
            return {}
        out = {}
        for n in names:
            if n.isdigit() and (n == "0" or not n.startswith("0")):
                path = os.path.join(cfg.base_path, n)
                if saved_model_file(path) is not None:  # binary or text (TF Serving's too)
                    out[int(n)] = path
        return out

    def _wanted(self, cfg: ModelConfig, found: dict[int, str]) -> set[int]:
        if cfg.version_policy == "all":
            return set(found)
        if cfg.version_policy == "specific":
            return {v for v in cfg.versions if v in found}
        return set(sorted(found)[-cfg.num_versions:])

    def _sync(self, cfg: ModelConfig, reload_changed: bool = False):
        """Loads the versions ``cfg`` wants and unloads the others; ``reload_changed`` (an
        explicit load, as Triton's) also reloads a loaded version whose files changed."""
        found = self._discover(cfg)
        if not found:
            if cfg.name not in self._no_versions:  # once until versions appear, not every poll
                self._no_versions.add(cfg.name)
                log.warning("No versions of servable %s found under base path %s",
                            cfg.name, cfg.base_path)
        else:
            self._no_versions.discard(cfg.name)
        wanted = self._wanted(cfg, found)
        for version in sorted(wanted):
            old = self._loaded[cfg.name].get(version)
            if old is None or old.path != found[version] or (
                    reload_changed and old.fingerprint != version_fingerprint(old.path)):
                self._load(cfg, version, found[version])  # new, moved or (asked) changed
        old = None  # holds no version: _unload collects what it drops
        # Unload what is no longer wanted, but never leave the model without a version while a
        # wanted one failed: an older working version keeps serving.
        wanted_up = wanted & set(self._loaded[cfg.name])
        for version in sorted(set(self._loaded[cfg.name]) - wanted):
            if version not in found or wanted_up:
                self._unload(cfg.name, version)

    def _load(self, cfg: ModelConfig, version: int, path: str):
        key = (cfg.name, version)
        fingerprint = version_fingerprint(path)
        if self._failed.get(key) == (path, fingerprint):
            return  # failed before and unchanged since: do not retry in a loop
        # A version loaded from elsewhere (its model's base path changed) keeps serving, and
        # stays AVAILABLE, until its replacement is ready.
        old = self._loaded[cfg.name].get(version)
        if old is None:
            self._set_state(cfg.name, version, State.LOADING)
        log.info("Loading servable %s version %d from %s", cfg.name, version, path)
        start = self._clock()
        try:
            servable, batchers = self._attempt_load(cfg, version, path)
        except Exception as e:  # noqa: BLE001 - any failure to load is reported, not raised
            seconds = self._clock() - start
            err = e if isinstance(e, OpError) else UnknownError(None, None, f"{type(e).__name__}:"
                                                                 f" {e}")
            # Kept in the version's status: without its traceback, whose frames would keep
            # the half-loaded servable (and any file it had open) alive with it.
            err.__traceback__ = err.__cause__ = err.__context__ = None
            self._failed[key] = (path, fingerprint)
            if old is None:
                self._set_state(cfg.name, version, State.END, err)
            log.error("Failed to load servable %s version %d after %.3fs: %s%s", cfg.name,
                      version, seconds, err, "" if old is None else
                      f" (version {version} from {old.path} keeps serving)")
            if self._observer is not None:
                self._observer.load(cfg.name, version, seconds, ok=False, path=path)
            return
        seconds = self._clock() - start
        self._failed.pop(key, None)
        with self._lock:
            versions = dict(self._loaded[cfg.name])
            versions[version] = LoadedVersion(servable, batchers, path, fingerprint)
            self._loaded[cfg.name] = versions  # swap in: readers see the old or the new dict
        self._set_state(cfg.name, version, State.AVAILABLE)
        log.info("Successfully loaded servable %s version %d in %.3fs", cfg.name, version,
                 seconds)
        if old is not None:
            old.stop()  # drains its queued requests; in-flight ones hold their reference
            log.info("Replaced servable %s version %d from %s", cfg.name, version, old.path)
        if self._observer is not None:
            self._observer.load(cfg.name, version, seconds, ok=True, path=path)

    def _attempt_load(self, cfg: ModelConfig, version: int, path: str):
        """(servable, batchers), a failed load retried (loading.load_with_retries); the version
        stays LOADING meanwhile."""
        if self._stop.is_set():  # interrupted (a signal during start-up): load no more
            raise UnavailableError(None, None, "The server is stopping: the version was not "
                                   "loaded")

        def load():
            servable = self._loader(path, cfg.name, version)
            return servable, self._batchers(cfg, servable, path)
        return load_with_retries(load, self._load_retries, self._load_retry_seconds,
                                 self._stop, path, f"{cfg.name} version {version}")

    def _batching(self, cfg: ModelConfig, path: str) -> BatchingConfig | None:
        config = cfg.batching or self._default_batching
        if config is None or not config.enabled or not self._per_model_batching:
            return config
        return per_version_batching(path, config)

    def _batchers(self, cfg: ModelConfig, servable: Servable, path: str
                  ) -> dict[str, DynamicBatcher]:
        config = self._batching(cfg, path)
        if config is None or not config.enabled:
            return {}
        out = {}
        for sig_name, runner in servable.signatures.items():
            if runner.batchable:
                observer = self._observer.batcher(cfg.name, servable.version, sig_name) \
                    if self._observer is not None else None
                out[sig_name] = DynamicBatcher(runner.run, config,
                                               f"batch-{cfg.name}-{servable.version}",
                                               observer, self._clock)
            else:
                log.info("model %s version %d signature %s: inputs/outputs without a batch "
                         "dimension, served unbatched", cfg.name, servable.version, sig_name)
        return out

    def _unload(self, name: str, version: int):
        self._set_state(name, version, State.UNLOADING)
        log.info("Unloading servable %s version %d", name, version)
        with self._lock:
            versions = dict(self._loaded[name])
            entry = versions.pop(version)
            self._loaded[name] = versions
        entry.stop()  # drains its queued requests
        del entry
        # A graph's operations and tensors refer to each other, so its weights wait for the
        # cyclic GC; collected now, an unloaded version's memory goes at once, as in TF Serving
        # (a request still holding it frees it at the next collection).
        gc.collect()
        self._set_state(name, version, State.END)
        if self._observer is not None:
            self._observer.unloaded(name, version)
        log.info("Unloaded servable %s version %d", name, version)

    def _set_state(self, name, version, state, error=None):
        self._status[name][version] = VersionStatus(version, state, error)
        if self._observer is not None:
            self._observer.version_state(name, version, state)
