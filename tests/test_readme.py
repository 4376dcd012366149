"""Every command the README shows is exercised: the walkthrough block runs as written (on free
ports, in a temporary directory); `make demo` and `make test` are checked against the Makefile
and run by tests/examples/test_demo.py and by CI itself."""

from __future__ import annotations

import os
import pathlib
import re
import socket
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.S)


def commands(block: str) -> list[str]:
    out = []
    for line in block.splitlines():
        line = line.split("  #")[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_has_exactly_the_two_setup_commands():
    setup = commands(shell_blocks()[0])
    assert setup == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    demo = re.search(r"^demo:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    test = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "-m examples.demo" in demo  # run in reduced form by tests/examples/test_demo.py
    assert "ruff check" in test and "pytest" in test
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_no_other_commands_are_shown():
    blocks = shell_blocks()
    assert len(blocks) == 2, "every ```sh block must be covered by this file"


def test_walkthrough_runs_as_written(tmp_path):
    block = shell_blocks()[1]
    lines = commands(block)
    assert lines[0] == "source .venv/bin/activate"
    grpc_port, http_port = free_port(), free_port()
    script = "\n".join(lines[1:])
    script = script.replace("8500", str(grpc_port)).replace("8501", str(http_port))
    # The README says "after make demo": the demo's models are already there.
    (tmp_path / "models" / "mlp" / "1").mkdir(parents=True)
    (tmp_path / "models" / "mlp" / "1" / "saved_model.pb").write_bytes(b"the demo's")
    env = dict(os.environ)
    venv_bin = os.path.dirname(sys.executable)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "test accuracy" in out
    assert "exported models/digits/1" in out
    assert "serving_default" in out  # minitf inspect
    predictions = [line for line in out.splitlines() if line.startswith("{")]
    assert len(predictions) == 3
    assert 'minitf_requests_total{api="tfserving.Predict",code="OK",model="mlp",version="1"} 1.0' \
        in out
    assert (tmp_path / "models" / "digits" / "1" / "saved_model.pb").exists()


def test_python_snippet_runs_against_a_server(tmp_path):
    from examples import mlp_digits
    from minitf.export import freeze_from_checkpoint, save_model
    from minitf.serving.repository import ModelConfig

    from .serving.conftest import running_server

    import minitf as tf

    result = mlp_digits.train(epochs=1, out=str(tmp_path / "run"))
    graph = tf.Graph()
    with graph.as_default():
        mlp_digits.build_graph()
    frozen = freeze_from_checkpoint(graph, result["checkpoint"], {"images": "images:0"},
                                    {"classes": "classes:0", "probs": "probs:0"})
    save_model(str(tmp_path / "models" / "mlp" / "1"), frozen)
    (snippet,) = re.findall(r"```python\n(.*?)```", README, re.S)
    with running_server([ModelConfig("mlp", str(tmp_path / "models" / "mlp"))]) as (srv, _):
        code = snippet.replace("8500", str(srv.grpc_port))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 3 and lines[0] == lines[1] == lines[2]  # three clients, one answer
