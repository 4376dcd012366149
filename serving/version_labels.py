"""The version-label step of the model repository: TF Serving's version label map.

A configured model's ``version_labels`` (``ModelRepository.config(name)``) are the labels it
serves. A new configuration changes them only once every new or moved label names an
AVAILABLE version (``start``, ``reconfigure``; with ``allow_unavailable_labels``, TF Serving's
--allow_version_labels_for_unavailable_models, a new label may name any version, a moved one
still only an available one), all models' or none. A model held unloaded (explicit model
control) has no version to check its labels against: they wait, pending, for its Load.

The repository owns one ``LabelMap`` and calls it under its poll lock; the served labels stay
in the repository's configurations (requests read them without a lock), which these calls
return updated.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from minitf.errors import FailedPreconditionError, InvalidArgumentError, OpError

if TYPE_CHECKING:  # repository.py imports this module
    from .repository import ModelConfig

log = logging.getLogger("minitf.serving")

_LABEL = re.compile(r"^[A-Za-z0-9_]+$")


def validate_labels(model: str, labels: dict):
    """ModelConfig's check: label names as TF Serving accepts them, versions made ints in
    place (the config keeps its dict)."""
    for label, version in labels.items():
        if not _LABEL.match(label):
            raise ValueError(f"model {model}: invalid version label {label!r}")
        labels[label] = int(version)


def labelled_version(cfg: ModelConfig, label: str) -> int:
    """The version ``label`` names for a request to model ``cfg`` (the request path)."""
    if label not in cfg.version_labels:
        # INVALID_ARGUMENT, as TF Serving: the request names something never configured
        raise InvalidArgumentError(None, None, f"Unrecognized servable version label: "
                                   f"{label} (model '{cfg.name}')")
    return cfg.version_labels[label]


def differences(old: ModelConfig, new: ModelConfig) -> list[str]:
    """What changed between two configurations of a model, batching and labels aside ("base
    path ..."): what makes its versions sync again. Labels are the label step's
    (LabelMap.update), which runs after that sync."""
    out = []
    if old.base_path != new.base_path:
        out.append(f"base path {old.base_path} -> {new.base_path}")
    if _policy_text(old) != _policy_text(new):
        out.append(f"version policy {_policy_text(old)} -> {_policy_text(new)}")
    return out


def _policy_text(cfg: ModelConfig) -> str:
    if cfg.version_policy == "latest":
        return f"latest({cfg.num_versions})"
    if cfg.version_policy == "specific":
        return f"specific{list(cfg.versions)}"
    return "all"


class LabelMap:
    """The labels not yet served (a held model's) and the rule that checks new ones.
    ``available(name)`` is the repository's loaded versions of model ``name``, read when a
    label is checked."""

    def __init__(self, configs: Iterable[ModelConfig], unloaded: Iterable[str],
                 available: Callable[[str], Mapping], allow_unavailable: bool = False):
        self._available = available
        self._allow_unavailable = allow_unavailable
        held = set(unloaded)
        # The labels configured for a model held unloaded (explicit model control) that differ
        # from the ones it has: it has no version to check them against, so its Load checks
        # and applies them (model_control.py).
        self._pending: dict[str, dict[str, int]] = {
            c.name: dict(c.version_labels) for c in configs
            if c.name in held and c.version_labels}

    def initial(self, configs: Iterable[ModelConfig]) -> dict[str, ModelConfig]:
        """The repository's first configurations: a held model serves no label until its Load;
        the others' serve at once (``start`` checks them once their versions loaded)."""
        return {c.name: replace(c, version_labels={}) if c.name in self._pending else c
                for c in configs}

    def kept(self, old: dict[str, ModelConfig], new: dict[str, ModelConfig]
             ) -> dict[str, ModelConfig]:
        """``new`` with each model's labels so far (none for a new model): a reconfiguration
        serves them until its label step (``update``)."""
        return {n: replace(c, version_labels=dict(old[n].version_labels) if n in old else {})
                for n, c in new.items()}

    def check_all(self, configs: dict[str, ModelConfig], unloaded: set[str]):
        """``start``'s check, once the versions loaded: every label is new at start-up (a held
        model's wait for its Load)."""
        for cfg in configs.values():
            if cfg.name not in unloaded:
                self.check(cfg.name, cfg.version_labels, {})

    def forget(self, name: str):
        """Model ``name`` was removed: its pending labels go with it."""
        self._pending.pop(name, None)

    def check(self, name: str, labels: dict, current: dict):
        """Raises TF Serving's FailedPreconditionError for the first label of ``labels`` that
        is new or moved from ``current`` and names a version of model ``name`` that is not
        available. An unchanged label is not checked again (its version may have gone since:
        requests by it then answer NOT_FOUND); allow_unavailable lets a new one wait."""
        available = self._available(name)
        for label, version in sorted(labels.items()):
            if current.get(label) == version or version in available:
                continue
            if self._allow_unavailable and label not in current:
                continue  # TF Serving: "unused version labels" only, not moved ones
            raise FailedPreconditionError(
                None, None, f"Request to assign label to version {version} of model {name}, "
                "which is not currently available for inference")

    def update(self, configs: dict[str, ModelConfig], new: dict[str, ModelConfig],
               unloaded: set[str]) -> tuple[dict[str, ModelConfig], OpError | None]:
        """TF Serving's UpdateModelVersionLabelMap: every model's labels in ``configs`` (the
        served ones) become ``new``'s if all check out (held models': pending until their
        Load), else none change. Returns the configurations to serve and the error, if any."""
        served, pending = {}, {}
        for name, cfg in new.items():
            current = configs[name].version_labels
            if cfg.version_labels == current:
                continue
            if name in unloaded:
                pending[name] = dict(cfg.version_labels)
                continue
            try:
                self.check(name, cfg.version_labels, current)
            except FailedPreconditionError as e:  # logged by the caller, as other failures
                return configs, e  # nothing changed yet: all or none
            served[name] = dict(cfg.version_labels)
        self._pending = pending  # a model's pending labels are its newest config's
        for name, labels in served.items():
            log.info("Model %s: version labels %s -> %s", name, configs[name].version_labels,
                     labels)
        if served:
            configs = {n: replace(c, version_labels=served[n]) if n in served else c
                       for n, c in configs.items()}
        return configs, None

    def apply_pending(self, name: str, configs: dict[str, ModelConfig]
                      ) -> dict[str, ModelConfig]:
        """The configurations with the labels a reconfiguration gave model ``name`` while it
        was held unloaded, checked now that it loaded; FailedPreconditionError leaves them
        (and the pending ones, for its next Load) as they were."""
        labels = self._pending.get(name)
        if labels is None:
            return configs
        cfg = configs[name]
        self.check(name, labels, cfg.version_labels)
        del self._pending[name]
        log.info("Model %s: version labels %s -> %s", name, cfg.version_labels, labels)
        return {**configs, name: replace(cfg, version_labels=dict(labels))}
