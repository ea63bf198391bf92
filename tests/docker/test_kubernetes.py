"""docker/kubernetes/: every manifest validated offline, and consistent with the image and the daemon.

Built-in kinds are checked with kubernetes-validate (the Kubernetes OpenAPI schemas, strict: unknown
fields fail). KServe's ServingRuntime and InferenceService are custom resources with no built-in
schema: they are checked against the required fields and types of KServe's CRDs (below), and their
containers against the core Container schema.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from ovms.config_file import parse_config
from tests.docker.dockerhost import REPO

MANIFESTS = REPO / "docker/kubernetes"
K8S_VERSION = "1.30.0"  # an older API than the newest schema kubernetes-validate ships: both are checked
KSERVE_OPENVINO_ARGS = [  # KServe's kserve-openvino ClusterServingRuntime, verbatim
    "--model_name={{.Name}}", "--model_path=/mnt/models", "--port=9000", "--rest_port=8080",
    "--file_system_poll_wait_seconds=0",
]

# The parts of KServe's CRDs (serving.kserve.io v1alpha1 ServingRuntime, v1beta1 InferenceService)
# that a manifest must satisfy: required fields, types and enumerations.
SERVING_RUNTIME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "serving.kserve.io/v1alpha1"},
        "kind": {"enum": ["ServingRuntime", "ClusterServingRuntime"]},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["containers"],
            "properties": {
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                "disabled": {"type": "boolean"},
                "multiModel": {"type": "boolean"},
                "protocolVersions": {"type": "array", "items": {
                    "enum": ["v1", "v2", "v3", "grpc-v1", "grpc-v2"]}},
                "supportedModelFormats": {"type": "array", "items": {
                    "type": "object", "required": ["name"], "additionalProperties": False,
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                   "autoSelect": {"type": "boolean"},
                                   "priority": {"type": "integer", "minimum": 1}}}},
                "containers": {"type": "array", "minItems": 1,
                               "items": {"type": "object", "required": ["name"]}},
            },
        },
    },
}
INFERENCE_SERVICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "serving.kserve.io/v1beta1"},
        "kind": {"const": "InferenceService"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {"type": "object", "required": ["predictor"], "properties": {"predictor": {
            "type": "object",
            "properties": {
                "minReplicas": {"type": "integer", "minimum": 0},
                "maxReplicas": {"type": "integer", "minimum": 0},
                "scaleMetric": {"enum": ["cpu", "memory", "concurrency", "rps"]},
                "scaleTarget": {"type": "integer"},
                "model": {"type": "object", "required": ["modelFormat"], "properties": {
                    "modelFormat": {"type": "object", "required": ["name"]},
                    "runtime": {"type": "string"},
                    "storageUri": {"type": "string"},
                    "protocolVersion": {"enum": ["v1", "v2", "grpc-v2"]},
                }},
            },
        }}},
    },
}
CUSTOM_SCHEMAS = {"ServingRuntime": SERVING_RUNTIME_SCHEMA, "InferenceService": INFERENCE_SERVICE_SCHEMA}


def load_all() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        documents += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


DOCUMENTS = load_all()


def find(kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [doc for _, doc in DOCUMENTS
               if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return matches[0]


def test_the_example_set_is_complete():
    kinds = {doc["kind"] for _, doc in DOCUMENTS}
    assert {"Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "ServingRuntime",
            "InferenceService", "Kustomization"} <= kinds


@pytest.mark.parametrize(("file", "doc"), [item for item in DOCUMENTS if item[1]["kind"] not in CUSTOM_SCHEMAS
                                           and item[1]["kind"] != "Kustomization"],
                         ids=lambda value: value if isinstance(value, str) else value["kind"])
@pytest.mark.parametrize("version", [K8S_VERSION, kubernetes_validate.latest_version()])
def test_builtin_kinds_match_the_kubernetes_schema(file, doc, version):
    kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("kind", sorted(CUSTOM_SCHEMAS))
def test_kserve_resources_match_the_crd_fields(kind):
    jsonschema.validate(find(kind), CUSTOM_SCHEMAS[kind])


def test_serving_runtime_containers_are_valid_kubernetes_containers():
    runtime = find("ServingRuntime")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "check"},
           "spec": {"containers": runtime["spec"]["containers"]}}
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)


def test_a_schema_violation_is_caught():
    """The checks are not vacuous: a broken Deployment and a broken ServingRuntime fail."""
    deployment = json.loads(json.dumps(find("Deployment")))
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)
    runtime = json.loads(json.dumps(find("ServingRuntime")))
    del runtime["spec"]["containers"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(runtime, SERVING_RUNTIME_SCHEMA)


def test_serving_runtime_drops_into_the_kserve_openvino_slot():
    runtime = find("ServingRuntime")
    (container,) = runtime["spec"]["containers"]
    assert container["name"] == "kserve-container"
    assert container["image"].startswith("ovms-py")
    assert container["args"][: len(KSERVE_OPENVINO_ARGS)] == KSERVE_OPENVINO_ARGS
    assert {"v1", "v2", "grpc-v2"} <= set(runtime["spec"]["protocolVersions"])
    assert runtime["spec"]["annotations"]["prometheus.kserve.io/port"] == "8080"
    assert runtime["spec"]["annotations"]["prometheus.kserve.io/path"] == "/metrics"
    assert container["securityContext"]["runAsUser"] == 5000
    probes = {container["readinessProbe"]["httpGet"]["path"], container["livenessProbe"]["httpGet"]["path"]}
    assert probes == {"/v2/health/ready", "/v2/health/live"}


def test_inference_service_uses_the_runtime_and_a_supported_format():
    runtime, service = find("ServingRuntime"), find("InferenceService")
    model = service["spec"]["predictor"]["model"]
    assert model["runtime"] == runtime["metadata"]["name"]
    assert model["modelFormat"]["name"] in {f["name"] for f in runtime["spec"]["supportedModelFormats"]}


def ovms_container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def flag(args: list[str], name: str) -> str:
    (value,) = [arg.split("=", 1)[1] for arg in args if arg.startswith(name + "=")]
    return value


def test_deployment_probes_ports_and_scrape_annotations_agree():
    deployment = find("Deployment", "ovms")
    container = ovms_container(deployment)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"grpc": int(flag(container["args"], "--port")),
                     "http": int(flag(container["args"], "--rest_port"))}
    assert "--metrics_enable" in container["args"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": "http"}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(ports["http"])
    assert annotations["prometheus.io/path"] == "/metrics"
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["OVMS_REST_PORT"] == str(ports["http"])


def test_deployment_runs_as_the_image_user_with_a_writable_tmp():
    spec = find("Deployment", "ovms")["spec"]["template"]["spec"]
    container = ovms_container(find("Deployment", "ovms"))
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 5000
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]  # the download cache of remote repositories
    assert volumes[mounts["/config"]]["configMap"]["name"] == find("ConfigMap")["metadata"]["name"]
    assert flag(container["args"], "--config_path") == "/config/config.json"


def test_configmap_holds_a_config_json_the_daemon_accepts():
    config = parse_config(find("ConfigMap")["data"]["config.json"].encode(), "/config")
    assert config.models, "no models in the ConfigMap's config.json"


def test_docker_config_json_is_accepted_and_points_into_the_mounted_models():
    config = parse_config((REPO / "docker/config.json").read_bytes(), "/")
    names = {model.name for model in config.models}
    assert names == {path.name for path in (REPO / "models").iterdir() if path.is_dir()}


def test_services_and_hpa_point_at_the_deployment():
    deployment = find("Deployment", "ovms")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    container_ports = {port["name"] for port in ovms_container(deployment)["ports"]}
    for service in (doc for _, doc in DOCUMENTS if doc["kind"] == "Service"):
        assert service["spec"]["selector"].items() <= labels.items()
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= container_ports
    assert find("Service", "ovms-headless")["spec"]["clusterIP"] == "None"
    hpa = find("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": deployment["metadata"]["name"]}
    assert hpa["spec"]["minReplicas"] >= 2
    metric_types = {metric["type"] for metric in hpa["spec"]["metrics"]}
    assert {"Pods", "Resource"} <= metric_types  # request rate per replica, CPU as a backstop


def test_kustomization_lists_every_builtin_manifest_and_no_custom_resource():
    listed = set(find("Kustomization")["resources"])
    builtin = {file for file, doc in DOCUMENTS if doc["kind"] not in (*CUSTOM_SCHEMAS, "Kustomization")}
    assert listed == builtin  # the KServe objects need KServe's CRDs: applied separately
