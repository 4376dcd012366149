"""`make demo`'s script in its reduced configuration: the report must show a working system."""

from examples import demo


def test_demo_quick(tmp_path):
    report = demo.main(["--quick", "--workdir", str(tmp_path)])
    assert report["server_exit_code"] == 0
    assert report["mlp_tfserving_accuracy"] >= 0.9
    assert report["cnn_kserve_accuracy"] >= 0.5  # two epochs only; the full run reaches 0.97
    assert report["session_run_matches_predict"] and report["session_run_rows"] == 8
    z0, z1, z2 = report["linear_z"]
    assert abs(z0 - (-1.0)) < 0.1 and abs(z2 - z1 - 2.5) < 0.1
    assert report["load_errors"] == 0 and report["load_requests"] == 40
    metrics = report["metrics"]
    # Every request we made is counted, and the metrics moved for batches too.
    assert metrics["requests_ok"] >= 45 and metrics["batches"] >= 1
    assert (tmp_path / "models" / "mlp" / "1" / "saved_model.pb").exists()
    assert (tmp_path / "runs" / "mlp" / "curve.png").exists()
    # TensorBoard logs for each example, read back with minitf's own event reader.
    from minitf.export.events import summary_iterator

    for name in ("linear", "mlp", "cnn"):
        files = sorted((tmp_path / "runs" / name / "logs").rglob("events.out.tfevents.*"))
        assert files, name
        tags = {v.tag for f in files for e in summary_iterator(str(f))
                if e.WhichOneof("what") == "summary" for v in e.summary.value}
        assert any("loss" in t for t in tags), (name, tags)
