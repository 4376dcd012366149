"""Removing a model's series when some were never made (a model without a batcher has no
queue_depth): prometheus-client before 0.22 raises KeyError from ``remove`` for those."""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from minitf.serving.metrics import Metrics


def _strict(metric, monkeypatch):
    """``metric.remove`` as prometheus-client 0.20/0.21's: KeyError for an unknown series."""
    def remove(*labels):
        key = tuple(str(v) for v in labels)
        if key not in metric._metrics:
            raise KeyError(key)
        del metric._metrics[key]
    monkeypatch.setattr(metric, "remove", remove)


def test_remove_models_with_series_never_made(monkeypatch):
    m = Metrics(CollectorRegistry(), ["dense", "plain"], process_metrics=False)
    m.version_state("plain", 1, 30)  # AVAILABLE
    for metric in (m.load_duration, m.load_failures, m.versions_available, m.queue_depth,
                   m.version_states):
        _strict(metric, monkeypatch)
    m.remove_models(["plain"])  # KeyError on the old clients before the fix
    text = generate_latest(m.registry).decode()
    models = {s.labels.get("model") for f in text_string_to_metric_families(text)
              for s in f.samples}
    assert "plain" not in models and "dense" in models
