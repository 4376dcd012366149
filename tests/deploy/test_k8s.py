"""deploy/k8s: every manifest against the Kubernetes schemas (offline, pinned versions), a
security lint, and the manifests' consistency with each other and with the server's CLI and
model configuration."""

from __future__ import annotations

import copy
import json

import pytest
from kubernetes_validate import ValidationError, validate

from minitf.serving.config import load_model_config_file

from .helpers import K8S, k8s_by_kind, k8s_documents, lint_pod_spec, load_yaml, \
    parse_serve_args

# The oldest release with GA gRPC probes, and a recent one: the schemas ship inside the pinned
# kubernetes-validate, so nothing is fetched.
K8S_VERSIONS = ("1.27.0", "1.34.0")
DOCUMENTS = k8s_documents()
EXPECTED_KINDS = {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap",
                  "PodDisruptionBudget", "PersistentVolumeClaim"}


def _id(item):
    path, doc = item
    return f"{path.name}:{doc['kind']}/{doc['metadata']['name']}"


def test_every_expected_kind_is_there():
    kinds = [d["kind"] for _, d in DOCUMENTS]
    assert EXPECTED_KINDS <= set(kinds), sorted(set(kinds))
    assert kinds.count("Service") == 2  # the ClusterIP one and the headless one


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("item", DOCUMENTS, ids=[_id(i) for i in DOCUMENTS])
def test_manifest_is_valid_against_the_kubernetes_schema(item, version):
    _, doc = item
    validate(doc, version, strict=True)  # strict: unknown fields (typos) are errors too


def test_the_schema_check_rejects_a_broken_deployment():
    # Proves the validator is not vacuous: a misspelt field and a wrongly typed one.
    [deployment] = k8s_by_kind("Deployment")
    typo = copy.deepcopy(deployment)
    container = typo["spec"]["template"]["spec"]["containers"][0]
    container["securityContex"] = container.pop("securityContext")
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "x"
    for bad in (typo, wrong_type):
        with pytest.raises(ValidationError):
            validate(bad, K8S_VERSIONS[-1], strict=True)


# -- security lint ----------------------------------------------------------------------------
def _pod_specs():
    for _, doc in DOCUMENTS:
        if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]
        elif doc["kind"] == "Pod":
            yield doc["metadata"]["name"], doc["spec"]


def test_security_lint_passes():
    specs = list(_pod_specs())
    assert specs
    for name, spec in specs:
        assert lint_pod_spec(spec, name) == []


@pytest.mark.parametrize("change, expected", [
    (lambda s, c: c["securityContext"].pop("runAsNonRoot") and
     s["securityContext"].pop("runAsNonRoot"), "runAsNonRoot is not true"),
    (lambda s, c: c["securityContext"].update(runAsUser=0), "runs as uid 0"),
    (lambda s, c: c["securityContext"].update(allowPrivilegeEscalation=True),
     "allowPrivilegeEscalation is not false"),
    (lambda s, c: c["securityContext"].update(readOnlyRootFilesystem=False),
     "readOnlyRootFilesystem is not true"),
    (lambda s, c: c["securityContext"].update(privileged=True), "privileged"),
    (lambda s, c: c["securityContext"]["capabilities"].update(add=["NET_ADMIN"]),
     "adds capabilities"),
    (lambda s, c: c["securityContext"]["capabilities"].update(drop=[]),
     "do not drop ALL"),
    (lambda s, c: c["securityContext"].pop("seccompProfile") and
     s["securityContext"].pop("seccompProfile"), "seccompProfile is not RuntimeDefault"),
    (lambda s, c: c["resources"]["limits"].pop("memory"), "no memory limit"),
    (lambda s, c: c["resources"].pop("requests"), "no cpu request"),
    (lambda s, c: c.pop("livenessProbe"), "no livenessProbe"),
    (lambda s, c: c.pop("readinessProbe"), "no readinessProbe"),
    (lambda s, c: c.update(image="minitf:latest"), "is not pinned"),
    (lambda s, c: s.update(hostNetwork=True), "hostNetwork is on"),
    (lambda s, c: s["volumes"].append({"name": "h", "hostPath": {"path": "/"}}),
     "is a hostPath"),
    (lambda s, c: s.pop("automountServiceAccountToken"), "automountServiceAccountToken"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_security_lint_catches(change, expected):
    [deployment] = k8s_by_kind("Deployment")
    spec = copy.deepcopy(deployment["spec"]["template"]["spec"])
    change(spec, spec["containers"][0])
    problems = lint_pod_spec(spec)
    assert any(expected in p for p in problems), problems


# -- the Deployment against the server ------------------------------------------------------
@pytest.fixture(scope="module")
def deployment():
    [d] = k8s_by_kind("Deployment")
    return d


@pytest.fixture(scope="module")
def container(deployment):
    [c] = deployment["spec"]["template"]["spec"]["containers"]
    return c


def _ports(container):
    return {p["name"]: p["containerPort"] for p in container["ports"]}


def test_container_args_are_accepted_by_minitf_serve(container):
    args = parse_serve_args(container.get("args", []))
    ports = _ports(container)
    assert (args.port, args.http_port) == (ports["grpc"], ports["metrics"]) == (8500, 8501)
    assert container.get("command") is None  # the image's ENTRYPOINT is `minitf serve`
    assert args.host == "0.0.0.0"


def test_grace_periods_nest(deployment, container):
    # preStop, then the server's own graceful stop, must fit in the pod's grace period.
    args = parse_serve_args(container["args"])
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    pre_stop = float(command[1])
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert pre_stop + args.grace_seconds + 5 <= grace


def test_probes_use_grpc_health_on_the_grpc_port(container):
    grpc_port = _ports(container)["grpc"]
    for name in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container[name]
        assert set(probe) & {"grpc", "httpGet", "tcpSocket", "exec"} == {"grpc"}, name
        assert probe["grpc"]["port"] == grpc_port
    # Ready (and started) means every model has a version; alive only means the process
    # answers: restarting a server whose models are missing would not bring them back.
    assert container["startupProbe"]["grpc"].get("service", "") == ""
    assert container["readinessProbe"]["grpc"].get("service", "") == ""
    assert container["livenessProbe"]["grpc"]["service"] == "liveness"
    # Liveness must not kill a pod that is merely slow to load its models.
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60


def test_model_repository_and_config_are_read_only_volumes(deployment, container):
    spec = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    models = mounts["/models"]
    assert models["readOnly"] is True
    models_volume = volumes[models["name"]]
    assert models_volume["persistentVolumeClaim"]["readOnly"] is True
    [pvc] = k8s_by_kind("PersistentVolumeClaim")
    assert models_volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    config_mount = next(m for m in container["volumeMounts"]
                        if parse_serve_args(container["args"]).model_config_file
                        .startswith(m["mountPath"] + "/"))
    assert config_mount["readOnly"] is True
    [configmap] = k8s_by_kind("ConfigMap")
    assert volumes[config_mount["name"]]["configMap"]["name"] == configmap["metadata"]["name"]
    # The only writable mount is a small emptyDir for /tmp.
    writable = [m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")]
    assert writable == ["/tmp"]
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]


def test_configmap_is_a_valid_model_config_under_the_model_volume(tmp_path, container):
    [configmap] = k8s_by_kind("ConfigMap")
    args = parse_serve_args(container["args"])
    filename = args.model_config_file.rsplit("/", 1)[1]
    path = tmp_path / filename
    path.write_text(configmap["data"][filename])
    models, batching = load_model_config_file(str(path))  # the server's own parser
    assert [m.name for m in models]
    assert all(m.base_path.startswith("/models/") for m in models)
    assert batching is not None and batching.enabled


def test_configmap_and_compose_model_config_serve_the_same_models(tmp_path):
    [configmap] = k8s_by_kind("ConfigMap")
    k8s_doc = json.loads(configmap["data"]["models.json"])
    compose_doc = json.loads((K8S.parent / "models.json").read_text())
    assert k8s_doc == compose_doc


def test_prometheus_annotations_point_at_the_metrics_port(deployment, container):
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == _ports(container)["metrics"]
    assert annotations["prometheus.io/path"] == "/metrics"


# -- Services, HPA, PDB ------------------------------------------------------------------------
def _selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def test_services_select_the_pods_and_route_to_named_ports(deployment, container):
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert _selects(deployment["spec"]["selector"]["matchLabels"], pod_labels)
    names = set(_ports(container))
    services = {s["metadata"]["name"]: s for s in k8s_by_kind("Service")}
    for service in services.values():
        assert _selects(service["spec"]["selector"], pod_labels)
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in names
    headless = [s for s in services.values() if s["spec"].get("clusterIP") == "None"]
    assert len(headless) == 1
    assert not headless[0]["spec"].get("publishNotReadyAddresses", False)
    assert {p["name"] for p in headless[0]["spec"]["ports"]} == {"grpc"}
    [main] = [s for s in services.values() if s["spec"].get("clusterIP") != "None"]
    assert {p["name"]: p["port"] for p in main["spec"]["ports"]} == {"grpc": 8500,
                                                                       "metrics": 8501}


def test_hpa_scales_the_deployment(deployment):
    [hpa] = k8s_by_kind("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == \
        ("apps/v1", "Deployment", deployment["metadata"]["name"])
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    assert "replicas" not in deployment["spec"]  # the HPA owns it
    # Utilization targets need requests to be measured against.
    [c] = deployment["spec"]["template"]["spec"]["containers"]
    assert "cpu" in c["resources"]["requests"]


def test_pdb_keeps_replicas_through_disruptions(deployment):
    [pdb] = k8s_by_kind("PodDisruptionBudget")
    [hpa] = k8s_by_kind("HorizontalPodAutoscaler")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert _selects(pdb["spec"]["selector"]["matchLabels"], pod_labels)
    assert pdb["spec"].get("maxUnavailable", 0) < hpa["spec"]["minReplicas"]
    rolling = deployment["spec"]["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0  # a rollout never drops below the ready count


def test_service_monitor_selects_the_metrics_service_only():
    [monitor] = [load_yaml(p) for p in (K8S / "prometheus-operator").glob("*.yaml")]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["kind"] == "ServiceMonitor"
    selector = monitor["spec"]["selector"]["matchLabels"]
    selected = [s for s in k8s_by_kind("Service") if _selects(selector, s["metadata"]["labels"])]
    # One Service, or each pod would be scraped once per matching Service.
    assert len(selected) == 1
    port_names = {p["name"] for p in selected[0]["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["port"] in port_names
        assert endpoint["path"] == "/metrics"
