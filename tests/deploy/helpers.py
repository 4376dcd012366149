"""What the deploy tests share: the deploy/ paths and loaders, the ``minitf serve`` argument
parser, a Dockerfile reader, the PromQL metric-name extractor and the pod security lint."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import yaml

from minitf.serving import cli

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
GRAFANA = DEPLOY / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "minitf.json"


def load_yaml(path: Path) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


def k8s_documents(directory: Path = K8S) -> list[tuple[Path, dict]]:
    """(file, document) for every YAML document in ``directory`` (not its subfolders, as
    ``kubectl apply -f DIR`` reads it)."""
    out = []
    for path in sorted(directory.glob("*.yaml")):
        with open(path) as f:
            out.extend((path, d) for d in yaml.safe_load_all(f) if d is not None)
    return out


def k8s_by_kind(kind: str) -> list[dict]:
    return [d for _, d in k8s_documents() if d["kind"] == kind]


def dashboard() -> dict:
    with open(DASHBOARD) as f:
        return json.load(f)


# -- minitf serve arguments -------------------------------------------------------------------
def parse_serve_args(argv: list[str]) -> argparse.Namespace:
    """``minitf serve ARGV`` parsed by the real CLI parser (SystemExit on a bad argument)."""
    parser = argparse.ArgumentParser(prog="minitf")
    sub = parser.add_subparsers(dest="command", required=True)
    cli._serve_parser(sub)
    return parser.parse_args(["serve", *argv])


# -- Dockerfile -------------------------------------------------------------------------------
def dockerfile_instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        instruction, _, args = line.partition(" ")
        out.append((instruction.upper(), args.strip()))
    assert not pending, "Dockerfile ends inside a continued line"
    return out


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (ins, _) in enumerate(instructions) if ins == "FROM"]
    return instructions[starts[-1]:]


def exec_form(args: str) -> list[str]:
    """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(a, str) for a in value), args
    return value


# -- PromQL -------------------------------------------------------------------------------------
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
             "and", "or", "unless", "inf", "nan"}
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*\"(?:[^\"\\]|\\.)*\"")


def _strip(expr: str) -> str:
    expr = re.sub(r"\"(?:[^\"\\]|\\.)*\"", '""', expr)  # string literals
    expr = re.sub(r"\{[^}]*\}", " ", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # range and subquery windows
    return _GROUPING.sub(" ", expr)


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (function and keyword names excluded).

    Grafana's ``label_values(metric, label)`` variable query counts as selecting ``metric``.
    """
    m = re.fullmatch(r"\s*label_values\s*\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*", expr)
    if m:
        expr = m.group(1)
    names = set()
    for match in re.finditer(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", _strip(expr)):
        name, call = match.groups()
        if not call and name.lower() not in _KEYWORDS:
            names.add(name)
    return names


def selector_labels(expr: str) -> dict[str, set[str]]:
    """{metric: label names its ``{...}`` matchers use}."""
    out: dict[str, set[str]] = {}
    for metric, body in _SELECTOR.findall(expr):
        out.setdefault(metric, set()).update(m[0] for m in _MATCHER.findall(body))
    return out


def grouping_labels(expr: str) -> set[str]:
    """Label names in ``by (...)``/``without (...)``/``on (...)`` clauses."""
    return {label.strip() for _, body in _GROUPING.findall(expr) for label in body.split(",")
            if label.strip()}


def dashboard_queries(dash: dict) -> list[str]:
    """Every PromQL expression of a dashboard: panel targets (rows included) and variables."""
    exprs = []

    def panels(items):
        for p in items:
            exprs.extend(t["expr"] for t in p.get("targets", []) if t.get("expr"))
            panels(p.get("panels", []))

    panels(dash.get("panels", []))
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = var["query"]
            exprs.append(query["query"] if isinstance(query, dict) else query)
    return exprs


# -- security lint of pod specs -------------------------------------------------------------
def lint_pod_spec(spec: dict, where: str = "pod") -> list[str]:
    """Problems with a PodSpec: root, privilege escalation, writable root filesystem, missing
    limits or probes, extra capabilities, host namespaces, unpinned images."""
    problems = []
    pod_sc = spec.get("securityContext") or {}
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            problems.append(f"{where}: {key} is on")
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            problems.append(f"{where}: volume {volume['name']} is a hostPath")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: automountServiceAccountToken is not false")
    containers = [(c, True) for c in spec.get("containers") or []] + \
        [(c, False) for c in spec.get("initContainers") or []]
    if not containers:
        problems.append(f"{where}: no containers")
    for c, main in containers:
        name = f"{where}/{c.get('name')}"
        sc = c.get("securityContext") or {}

        def setting(key, sc=sc):
            return sc.get(key, pod_sc.get(key))

        if setting("runAsNonRoot") is not True:
            problems.append(f"{name}: runAsNonRoot is not true")
        if setting("runAsUser") == 0:
            problems.append(f"{name}: runs as uid 0")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation is not false")
        if sc.get("privileged"):
            problems.append(f"{name}: privileged")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{name}: readOnlyRootFilesystem is not true")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            problems.append(f"{name}: capabilities do not drop ALL")
        if caps.get("add"):
            problems.append(f"{name}: adds capabilities {caps['add']}")
        if (setting("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: seccompProfile is not RuntimeDefault")
        resources = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for res in ("cpu", "memory"):
                if res not in (resources.get(kind) or {}):
                    problems.append(f"{name}: no {res} {kind[:-1]}")
        image = c.get("image", "")
        if not image or ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
            problems.append(f"{name}: image {image!r} is not pinned to a tag")
        if main:
            for probe in ("livenessProbe", "readinessProbe"):
                if not c.get(probe):
                    problems.append(f"{name}: no {probe}")
    return problems
