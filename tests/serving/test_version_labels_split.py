"""TF Serving's version-label rules, through ModelRepository (serving/version_labels.py's step).

The expected outcomes are TF Serving's rules, stated by hand:
  1. a label naming a version that is not AVAILABLE is refused at start-up with
     FAILED_PRECONDITION "Request to assign label to version V of model M, which is not
     currently available for inference"; --allow_version_labels_for_unavailable_models lets a
     new label name any version;
  2. that flag covers new labels only: moving an existing label to an unavailable version is
     still refused;
  3. a model held unloaded (explicit model control) gets its configured labels on its Load;
  4. a reconfiguration changes every model's labels or none.

The loader is a stub (versions are empty saved_model.pb files), so no graph runs and
TensorFlow is not needed.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from minitf.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from minitf.serving.model_control import ModelControl
from minitf.serving.repository import ModelConfig, ModelRepository


def refused(version, model):
    return (f"Request to assign label to version {version} of model {model}, which is not "
            "currently available for inference")


def stub_loader(path, name, version):
    return SimpleNamespace(name=name, version=version, signatures={})


@pytest.fixture
def bases(tmp_path):
    """Models "a" and "b", each with versions 1, 2 and 3."""
    out = {}
    for name in ("a", "b"):
        for v in (1, 2, 3):
            os.makedirs(tmp_path / name / str(v))
            (tmp_path / name / str(v) / "saved_model.pb").write_bytes(b"")
        out[name] = str(tmp_path / name)
    return out


@pytest.fixture
def make_repo():
    made = []

    def make(configs, **kwargs):
        repo = ModelRepository(configs, loader=stub_loader, **kwargs)
        made.append(repo)
        return repo

    yield make
    for repo in made:
        repo.stop()


def cfg(bases, name, labels, policy="all"):
    return ModelConfig(name, bases[name], version_policy=policy, version_labels=labels)


def test_start_refuses_a_new_label_on_an_unavailable_version(bases, make_repo):
    # Latest policy: only version 3 is AVAILABLE, so label "old" -> 1 is refused (rule 1).
    repo = make_repo([cfg(bases, "a", {"old": 1}, policy="latest")])
    with pytest.raises(FailedPreconditionError) as info:
        repo.start(0)
    assert info.value.message == refused(1, "a")
    # With the flag it starts; the label serves but finds no version 1 yet.
    repo = make_repo([cfg(bases, "a", {"old": 1}, policy="latest")],
                     allow_unavailable_labels=True)
    repo.start(0)
    assert repo.config("a").version_labels == {"old": 1}
    with pytest.raises(NotFoundError, match=r"Specific\(a, 1\)"):
        repo.get("a", label="old")


@pytest.mark.parametrize("allow", [False, True])
def test_a_moved_label_is_refused_even_with_the_flag(bases, make_repo, allow):
    repo = make_repo([cfg(bases, "a", {"stable": 1})], allow_unavailable_labels=allow)
    repo.start(0)
    with pytest.raises(FailedPreconditionError) as info:  # rule 2: moved to unavailable 7
        repo.reconfigure([cfg(bases, "a", {"stable": 7})])
    assert info.value.message == refused(7, "a")
    assert repo.config("a").version_labels == {"stable": 1}
    assert repo.get("a", label="stable").version == 1
    # A new label on unavailable version 9: only the flag lets it in (rule 1).
    if allow:
        repo.reconfigure([cfg(bases, "a", {"stable": 1, "next": 9})])
        assert repo.config("a").version_labels == {"stable": 1, "next": 9}
    else:
        with pytest.raises(FailedPreconditionError) as info:
            repo.reconfigure([cfg(bases, "a", {"stable": 1, "next": 9})])
        assert info.value.message == refused(9, "a")
        assert repo.config("a").version_labels == {"stable": 1}


def test_a_held_model_gets_its_labels_on_load(bases, make_repo):
    repo = make_repo([cfg(bases, "a", {"stable": 2})], control_mode="explicit",
                     unloaded={"a"})
    control = ModelControl(repo)
    repo.start(0)  # rule 3: not checked while held (no version to check against)
    assert repo.config("a").version_labels == {}
    with pytest.raises(InvalidArgumentError, match="Unrecognized servable version label"):
        repo.get("a", label="stable")
    control.load("a")
    assert repo.config("a").version_labels == {"stable": 2}
    assert repo.get("a", label="stable").version == 2
    # Held again, a reconfiguration's labels wait for the next Load.
    control.unload("a")
    repo.reconfigure([cfg(bases, "a", {"stable": 3})])
    assert repo.config("a").version_labels == {"stable": 2}
    control.load("a")
    assert repo.get("a", label="stable").version == 3


def test_reconfigure_changes_every_models_labels_or_none(bases, make_repo):
    repo = make_repo([cfg(bases, "a", {"s": 1}), cfg(bases, "b", {"s": 1})])
    repo.start(0)
    # a's move is valid, b's is not: neither applies (rule 4).
    with pytest.raises(FailedPreconditionError) as info:
        repo.reconfigure([cfg(bases, "a", {"s": 2}), cfg(bases, "b", {"s": 9})])
    assert info.value.message == refused(9, "b")
    assert repo.config("a").version_labels == {"s": 1}
    assert repo.config("b").version_labels == {"s": 1}
    assert repo.get("a", label="s").version == 1
    # Within one model too: a valid move with an invalid new label changes nothing.
    with pytest.raises(FailedPreconditionError) as info:
        repo.reconfigure([cfg(bases, "a", {"s": 2, "n": 8}), cfg(bases, "b", {"s": 1})])
    assert info.value.message == refused(8, "a")
    assert repo.config("a").version_labels == {"s": 1}
    # All valid: all apply.
    repo.reconfigure([cfg(bases, "a", {"s": 2, "n": 3}), cfg(bases, "b", {"s": 3})])
    assert repo.config("a").version_labels == {"s": 2, "n": 3}
    assert repo.config("b").version_labels == {"s": 3}
    assert repo.get("b", label="s").version == 3
