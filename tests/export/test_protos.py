"""minitf.protos: the committed modules are fresh, every message is wire-compatible with its
original (checked field by field against the official descriptors, and by round trips through the
official classes), our modules live beside tensorflow / tensorflow-serving-api / tritonclient in one
process, and the canonical names (method paths, Any type URLs, reflection pool) are right.

TensorFlow and TF Serving comparisons are marked ``tensorflow`` and skipped where those packages
are missing; tritonclient (KServe v2) is always there. The grpc health / reflection comparisons
run when grpcio-health-checking / grpcio-reflection are installed.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as triton
from google.protobuf import descriptor_pool, json_format, message_factory, wrappers_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor, FileDescriptor
from tritonclient.grpc import model_config_pb2 as triton_config_pb2
from tritonclient.grpc import service_pb2 as triton_pb2

import minitf.protos as protos
from minitf.protos import (
    generate,
    get_model_metadata_pb2,
    get_model_status_pb2,
    grpc_service_pb2,
    model_config_pb2,
    reflection_v1_pb2,
    reflection_v1alpha_pb2,
)

PROTOS_DIR = Path(protos.__file__).resolve().parent
SOURCES = sorted(path.name for path in PROTOS_DIR.glob("*.proto"))

# Official modules whose import puts each family's originals into the default descriptor pool.
OFFICIAL_MODULES = {
    "tensorflow": [
        "tensorflow.core.framework.graph_pb2",
        "tensorflow.core.framework.summary_pb2",
        "tensorflow.core.protobuf.config_pb2",
        "tensorflow.core.protobuf.debug_pb2",
        "tensorflow.core.framework.step_stats_pb2",
        "tensorflow.core.framework.cost_graph_pb2",
        "tensorflow.core.protobuf.error_codes_pb2",
        "tensorflow.core.protobuf.named_tensor_pb2",
        "tensorflow.core.protobuf.saved_model_pb2",
        "tensorflow.core.util.event_pb2",
        "tensorflow.core.profiler.tfprof_output_pb2",
        "tensorflow.core.profiler.tfprof_log_pb2",
    ],
    "tensorflow_serving": [
        "tensorflow_serving.apis.get_model_status_pb2",
        "tensorflow_serving.apis.model_service_pb2",
        "tensorflow_serving.apis.prediction_service_pb2",
        "tensorflow_serving.apis.session_service_pb2",
        "tensorflow_serving.apis.prediction_log_pb2",
        "tensorflow_serving.config.model_server_config_pb2",
    ],
    "tritonclient": ["tritonclient.grpc.service_pb2", "tritonclient.grpc.model_config_pb2"],
    "grpc_health": ["grpc_health.v1.health_pb2"],
    "grpc_reflection": ["grpc_reflection.v1alpha.reflection_pb2"],
    "grpc_reflection_v1": ["grpc_reflection.v1.reflection_pb2"],  # not in grpcio-reflection 1.80
    "tensorboard": ["tensorboard.plugins.projector.projector_config_pb2"],
}
# Canonical package -> the family of official modules that defines it.
FAMILIES = {
    "tensorflow": "tensorflow",
    "tensorflow.error": "tensorflow",
    "tensorflow.tfprof": "tensorflow",
    "tensorflow.serving": "tensorflow_serving",
    "inference": "tritonclient",
    "grpc.health.v1": "grpc_health",
    "grpc.reflection.v1alpha": "grpc_reflection",
    "grpc.reflection.v1": "grpc_reflection_v1",
    "tensorboard.projector": "tensorboard",
}

# Official fields we deliberately do not declare (parsers keep them as unknown fields).
OMITTED_FIELDS = {
    "tensorflow.GraphDef": {"debug_info"},
    "tensorflow.MetaGraphDef": {"object_graph_def"},
    "tensorflow.tfprof.ExecProfile": {"allocations"},
}
# Messages that are deliberately a subset: any official field may be missing here.
SUBSET_MESSAGES = {
    "inference.ModelConfig",
    "inference.ModelInput",
    "inference.ModelOutput",
    "inference.ModelDynamicBatching",
}

EXPECTED_SERVICES = {
    "tensorflow.serving.PredictionService": ["Classify", "Regress", "Predict", "MultiInference",
                                             "GetModelMetadata"],
    "tensorflow.serving.ModelService": ["GetModelStatus", "HandleReloadConfigRequest"],
    "tensorflow.serving.SessionService": ["SessionRun"],
    "inference.GRPCInferenceService": [
        "ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata",
        "ModelInfer", "ModelConfig", "ModelStatistics", "ModelStreamInfer", "RepositoryIndex",
        "RepositoryModelLoad", "RepositoryModelUnload", "SystemSharedMemoryStatus",
        "SystemSharedMemoryRegister", "SystemSharedMemoryUnregister", "CudaSharedMemoryStatus",
        "CudaSharedMemoryRegister", "CudaSharedMemoryUnregister",
    ],
    "grpc.health.v1.Health": ["Check", "Watch"],
    "grpc.reflection.v1alpha.ServerReflection": ["ServerReflectionInfo"],
    "grpc.reflection.v1.ServerReflection": ["ServerReflectionInfo"],
}


def _module(source: str):
    return importlib.import_module(f"minitf.protos.{source.removesuffix('.proto')}_pb2")


def _family(file: FileDescriptor) -> str:
    return FAMILIES[protos.canonical_name(file.package)]


# tensorflow-serving-api ships none of session_bundle_config.proto, monitoring_config.proto and
# ssl_config.proto:
# their messages, field by field from the originals (servables/tensorflow/ and config/).
_BATCHING_PARAMETERS = [  # name, number, wrapper message, scalar or sibling message, repeated
    ("max_batch_size", 1, "Int64Value", False),
    ("batch_timeout_micros", 2, "Int64Value", False),
    ("max_enqueued_batches", 3, "Int64Value", False),
    ("num_batch_threads", 4, "Int64Value", False),
    ("thread_pool_name", 5, "StringValue", False),
    ("allowed_batch_sizes", 6, "int64", True),
    ("pad_variable_length_inputs", 7, "bool", False),
    ("enable_large_batch_splitting", 8, "BoolValue", False),
    ("max_execution_batch_size", 9, "Int64Value", False),
]
_HAND_WRITTEN = {  # our source -> (the original's path, {message: fields})
    "session_bundle_config.proto": (
        "tensorflow_serving/servables/tensorflow/session_bundle_config.proto",
        {"BatchingParameters": _BATCHING_PARAMETERS}),
    "monitoring_config.proto": (
        "tensorflow_serving/config/monitoring_config.proto",
        {"PrometheusConfig": [("enable", 1, "bool", False), ("path", 2, "string", False)],
         "MonitoringConfig": [("prometheus_config", 1, "PrometheusConfig", False)]}),
    "ssl_config.proto": (
        "tensorflow_serving/config/ssl_config.proto",
        {"SSLConfig": [("server_key", 1, "string", False), ("server_cert", 2, "string", False),
                       ("custom_ca", 3, "string", False), ("client_verify", 4, "bool", False)]}),
}


def _hand_written_pool(source: str) -> descriptor_pool.DescriptorPool:
    from google.protobuf import descriptor_pb2

    path, messages = _HAND_WRITTEN[source]
    pool = descriptor_pool.DescriptorPool()
    wrappers = descriptor_pb2.FileDescriptorProto()
    wrappers_pb2.DESCRIPTOR.CopyToProto(wrappers)
    pool.Add(wrappers)
    file = descriptor_pb2.FileDescriptorProto(
        name=path, package="tensorflow.serving", syntax="proto3",
        dependency=["google/protobuf/wrappers.proto"])
    F = descriptor_pb2.FieldDescriptorProto
    scalars = {"int64": F.TYPE_INT64, "bool": F.TYPE_BOOL, "string": F.TYPE_STRING}
    for message_name, fields in messages.items():
        message = file.message_type.add(name=message_name)
        for name, number, kind, repeated in fields:
            field = message.field.add(name=name, number=number,
                                      label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)
            if kind in scalars:
                field.type = scalars[kind]
            else:
                package = "tensorflow.serving" if kind in messages else "google.protobuf"
                field.type, field.type_name = F.TYPE_MESSAGE, f".{package}.{kind}"
    pool.Add(file)
    return pool


def _official_pool(family: str, source: str = "") -> descriptor_pool.DescriptorPool:
    if source in _HAND_WRITTEN:
        return _hand_written_pool(source)
    if family == "tensorflow_serving":
        pytest.importorskip("tensorflow")
    for name in OFFICIAL_MODULES[family]:
        pytest.importorskip(name)
    return descriptor_pool.Default()


# --------------------------------------------------------------------------------------------
# Field-by-field comparison of descriptors.


def _signature(field: FieldDescriptor, rename: Callable[[str], str]) -> dict:
    typed = field.message_type or field.enum_type
    oneof = field.containing_oneof
    return {
        "name": field.name,
        "number": field.number,
        "type": field.type,
        "repeated": field.is_repeated,
        "required": field.is_required,
        "packed": field.is_packed,
        "presence": field.has_presence,
        "type_name": rename(typed.full_name) if typed else None,
        "oneof": oneof.name if oneof else None,
    }


def _compare_enum(ours: EnumDescriptor, pool, rename) -> Iterator[str]:
    name = rename(ours.full_name)
    try:
        theirs = pool.FindEnumTypeByName(name)
    except KeyError:
        yield f"enum {name}: no official enum of that name"
        return
    ours_values = {value.name: value.number for value in ours.values}
    theirs_values = {value.name: value.number for value in theirs.values}
    if ours_values != theirs_values:
        yield f"enum {name}: ours {ours_values} != official {theirs_values}"


def _compare_message(ours: Descriptor, pool, rename) -> Iterator[str]:
    name = rename(ours.full_name)
    try:
        theirs = pool.FindMessageTypeByName(name)
    except KeyError:
        yield f"{name}: no official message of that name"
        return
    if ours.GetOptions().map_entry != theirs.GetOptions().map_entry:
        yield f"{name}: map entry differs"
    for field in ours.fields:
        other = theirs.fields_by_number.get(field.number)
        if other is None:
            yield f"{name}.{field.name} = {field.number}: not in the official message"
            continue
        mine, official = _signature(field, rename), _signature(other, lambda n: n)
        if mine != official:
            yield f"{name}.{field.name}: ours {mine} != official {official}"
    omitted = OMITTED_FIELDS.get(name, set())
    for other in theirs.fields:
        missing = other.number not in ours.fields_by_number
        if missing and name not in SUBSET_MESSAGES and other.name not in omitted:
            yield f"{name}.{other.name} = {other.number}: not declared (nor listed as omitted)"
    for field_name in omitted:
        if field_name in ours.fields_by_name or field_name not in theirs.fields_by_name:
            yield f"{name}.{field_name}: listed as omitted, but ours or the official differs"
    for nested in ours.nested_types:
        yield from _compare_message(nested, pool, rename)
    for enum in ours.enum_types:
        yield from _compare_enum(enum, pool, rename)


def _compare_file(ours: FileDescriptor, pool, rename=protos.canonical_name) -> Iterator[str]:
    for message in ours.message_types_by_name.values():
        yield from _compare_message(message, pool, rename)
    for enum in ours.enum_types_by_name.values():
        yield from _compare_enum(enum, pool, rename)
    for service in ours.services_by_name.values():
        name = rename(service.full_name)
        theirs = pool.FindServiceByName(name)
        for method in service.methods:
            other = theirs.methods_by_name.get(method.name)
            shape = (rename(method.input_type.full_name), rename(method.output_type.full_name),
                     method.client_streaming, method.server_streaming)
            if other is None:
                yield f"{name}.{method.name}: not an official method"
            elif shape != (other.input_type.full_name, other.output_type.full_name,
                           other.client_streaming, other.server_streaming):
                yield f"{name}.{method.name}: ours {shape} differs from the official method"


def _family_param(source: str):
    family = _family(_module(source).DESCRIPTOR)
    needs_tf = family.startswith("tensorflow") and source not in _HAND_WRITTEN
    marks = [pytest.mark.tensorflow] if needs_tf else []
    return pytest.param(source, family, marks=marks, id=source)


@pytest.mark.parametrize(("source", "family"), [_family_param(source) for source in SOURCES])
def test_wire_compatible_with_official_descriptors(source, family):
    pool = _official_pool(family, source)
    problems = list(_compare_file(_module(source).DESCRIPTOR, pool))
    assert not problems, "\n".join(problems)


def test_the_comparison_catches_a_difference():
    """The checker can fail: messages compared with a different official message differ."""
    pool = _official_pool("tritonclient")
    request = grpc_service_pb2.ModelReadyRequest.DESCRIPTOR  # name = 1, version = 2
    response = grpc_service_pb2.ModelReadyResponse.DESCRIPTOR  # ready = 1
    extra = list(_compare_message(request, pool, lambda _: "inference.ModelReadyResponse"))
    assert any("ModelReadyResponse.name: ours" in p for p in extra)  # name, type differ at 1
    assert any("version = 2: not in the official message" in p for p in extra)
    missing = list(_compare_message(response, pool, lambda _: "inference.ModelReadyRequest"))
    assert any("version = 2: not declared" in p for p in missing)


def test_reflection_v1_matches_v1alpha():
    """v1 is v1alpha renamed; v1alpha is compared with the official module above."""
    problems = list(_compare_file(
        reflection_v1_pb2.DESCRIPTOR, reflection_v1alpha_pb2.DESCRIPTOR.pool,
        lambda name: name.replace(".reflection.v1.", ".reflection.v1alpha.")))
    assert not problems, "\n".join(problems)


def _our_messages(messages=None) -> Iterator[Descriptor]:
    if messages is None:
        messages = [m for source in SOURCES
                    for m in _module(source).DESCRIPTOR.message_types_by_name.values()]
    for message in messages:
        yield message
        yield from _our_messages(message.nested_types)


def test_omission_lists_name_our_messages():
    ours = {protos.canonical_name(message.full_name) for message in _our_messages()}
    assert set(OMITTED_FIELDS) | SUBSET_MESSAGES <= ours


# --------------------------------------------------------------------------------------------
# Generated modules: fresh, named apart from the originals, self-contained.


def test_generated_modules_are_fresh(tmp_path):
    pytest.importorskip("grpc_tools")
    # In a process of its own: protoc crashes where tensorflow has been imported.
    _run_python(f"import sys; from minitf.protos import generate; "
                f"sys.exit(generate.main(['--out', {str(tmp_path)!r}]))")
    written = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in PROTOS_DIR.iterdir()
                       if p.name.endswith(generate.GENERATED_SUFFIXES))
    assert written == committed, "run `make protos`"
    stale = [name for name in written
             if (tmp_path / name).read_bytes() != (PROTOS_DIR / name).read_bytes()]
    assert not stale, f"stale generated modules, run `make protos`: {stale}"


def test_every_source_has_a_canonical_file_and_a_module():
    assert sorted(protos.CANONICAL_FILES) == SOURCES
    for source in SOURCES:
        file = _module(source).DESCRIPTOR
        assert file.name == protos.PROTO_ROOT + source
        assert file.package.startswith(protos.PACKAGE_PREFIX)


def test_generated_modules_import_only_protobuf_and_minitf_protos():
    pattern = re.compile(r"^(?:from|import) ([\w.]+)", re.MULTILINE)
    for path in sorted(PROTOS_DIR.glob("*_pb2.py")):
        for module in pattern.findall(path.read_text()):
            assert module.startswith(("google.protobuf", "minitf.protos")), (path.name, module)


# --------------------------------------------------------------------------------------------
# Round trips through the official classes.


def _as_dict(message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def _round_trip(official, our_class, *, opaque: tuple[str, ...] = ()):
    """Official bytes parse with ours into equal fields and re-serialise to identical bytes;
    our bytes parse with the official class into an equal message. The fields named in
    ``opaque`` hold only unknown fields on our side: they are compared through the bytes."""
    data = official.SerializeToString(deterministic=True)
    ours = our_class.FromString(data)

    def visible(message):
        return {k: v for k, v in _as_dict(message).items() if k not in opaque}

    assert visible(ours) == visible(official)
    assert ours.SerializeToString(deterministic=True) == data
    assert type(official).FromString(ours.SerializeToString()) == official
    return ours


def _infer_inputs():
    dense = triton.InferInput("INPUT0", [2, 3], "FP32")
    dense.set_data_from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    text = triton.InferInput("TEXT", [2], "BYTES")
    text.set_data_from_numpy(np.array([b"a", b"bcd"], dtype=np.object_))
    return [dense, text]


def test_model_infer_request_built_by_tritonclient_round_trips():
    from tritonclient.grpc import _utils

    request = _utils._get_inference_request(
        model_name="m", inputs=_infer_inputs(), model_version="2", request_id="r-1",
        outputs=[triton.InferRequestedOutput("OUTPUT0")], sequence_id=0, sequence_start=False,
        sequence_end=False, priority=1, timeout=1000, parameters={"flag": True, "k": "v"})
    ours = _round_trip(request, grpc_service_pb2.ModelInferRequest)
    assert [i.name for i in ours.inputs] == ["INPUT0", "TEXT"]
    assert np.frombuffer(ours.raw_input_contents[0], np.float32).tolist() == [0, 1, 2, 3, 4, 5]
    assert ours.parameters["priority"].WhichOneof("parameter_choice") in ("int64_param",
                                                                         "uint64_param")


def test_typed_contents_and_every_parameter_kind_round_trip():
    request = triton_pb2.ModelInferRequest(
        model_name="m",
        parameters={"b": triton_pb2.InferParameter(bool_param=True),
                    "i": triton_pb2.InferParameter(int64_param=-3),
                    "s": triton_pb2.InferParameter(string_param="x"),
                    "d": triton_pb2.InferParameter(double_param=0.5),
                    "u": triton_pb2.InferParameter(uint64_param=2**63)},
        inputs=[triton_pb2.ModelInferRequest.InferInputTensor(
            name="x", datatype="INT64", shape=[3],
            contents=triton_pb2.InferTensorContents(int64_contents=[1, -2, 3]))])
    _round_trip(request, grpc_service_pb2.ModelInferRequest)


@pytest.mark.parametrize("official", [
    triton_pb2.ServerMetadataResponse(name="minitf", version="0.1", extensions=["statistics"]),
    triton_pb2.ModelMetadataResponse(
        name="m", versions=["1", "2"], platform="tensorflow_graphdef",
        inputs=[triton_pb2.ModelMetadataResponse.TensorMetadata(
            name="x", datatype="FP32", shape=[-1, 3])]),
    triton_pb2.ModelStatisticsResponse(model_stats=[triton_pb2.ModelStatistics(
        name="m", version="1", inference_count=7, execution_count=2,
        inference_stats=triton_pb2.InferStatistics(
            success=triton_pb2.StatisticDuration(count=7, ns=900)),
        batch_stats=[triton_pb2.InferBatchStatistics(
            batch_size=4, compute_infer=triton_pb2.StatisticDuration(count=1, ns=5))],
        memory_usage=[triton_pb2.MemoryUsage(type="CPU", id=0, byte_size=64)],
        response_stats={"x": triton_pb2.InferResponseStatistics(
            cancel=triton_pb2.StatisticDuration(count=1))})]),
    triton_pb2.ModelConfigResponse(config=triton_config_pb2.ModelConfig(
        name="m", platform="tensorflow_graphdef", max_batch_size=8,
        input=[triton_config_pb2.ModelInput(name="x", data_type=triton_config_pb2.TYPE_FP32,
                                            dims=[3])],
        version_policy=triton_config_pb2.ModelVersionPolicy(
            latest=triton_config_pb2.ModelVersionPolicy.Latest(num_versions=2)),
        dynamic_batching=triton_config_pb2.ModelDynamicBatching(
            preferred_batch_size=[4, 8], max_queue_delay_microseconds=100))),
], ids=lambda message: type(message).__name__)
def test_kserve_messages_round_trip(official):
    _round_trip(official, getattr(grpc_service_pb2, type(official).__name__))


def test_our_infer_response_is_read_by_tritonclient():
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    texts = [b"a", b"bcd"]
    response = grpc_service_pb2.ModelInferResponse(
        model_name="m", model_version="1", id="r-1",
        outputs=[
            grpc_service_pb2.ModelInferResponse.InferOutputTensor(
                name="OUTPUT0", datatype="FP32", shape=[2, 3]),
            grpc_service_pb2.ModelInferResponse.InferOutputTensor(
                name="TEXT", datatype="BYTES", shape=[2]),
        ],
        raw_output_contents=[
            values.tobytes(),
            b"".join(len(t).to_bytes(4, "little") + t for t in texts),
        ])
    result = triton.InferResult(
        triton_pb2.ModelInferResponse.FromString(response.SerializeToString()))
    np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), values)
    assert result.as_numpy("TEXT").tolist() == texts
    assert result.get_response().id == "r-1"


def test_undeclared_model_config_fields_survive_a_round_trip():
    official = triton_config_pb2.ModelConfig(
        name="m", backend="python", max_batch_size=4,
        input=[triton_config_pb2.ModelInput(name="x", data_type=triton_config_pb2.TYPE_INT64,
                                            dims=[-1], allow_ragged_batch=True)],
        instance_group=[triton_config_pb2.ModelInstanceGroup(
            count=2, kind=triton_config_pb2.ModelInstanceGroup.KIND_CPU)],
        dynamic_batching=triton_config_pb2.ModelDynamicBatching(
            max_queue_delay_microseconds=50,
            default_queue_policy=triton_config_pb2.ModelQueuePolicy(max_queue_size=9)),
        parameters={"p": triton_config_pb2.ModelParameter(string_value="v")})
    ours = model_config_pb2.ModelConfig.FromString(official.SerializeToString())
    assert (ours.name, ours.backend, ours.max_batch_size) == ("m", "python", 4)
    assert ours.input[0].data_type == model_config_pb2.TYPE_INT64
    assert list(ours.input[0].dims) == [-1]
    assert ours.dynamic_batching.max_queue_delay_microseconds == 50
    assert triton_config_pb2.ModelConfig.FromString(ours.SerializeToString()) == official


# --------------------------------------------------------------------------------------------
# TensorFlow and TF Serving round trips.


@pytest.fixture(scope="module")
def real_tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def serving_apis(real_tf):
    return pytest.importorskip("tensorflow_serving.apis.predict_pb2")


@pytest.mark.tensorflow
@pytest.mark.parametrize("value", [
    np.arange(6, dtype=np.float32).reshape(2, 3),
    np.float32(1.5),
    np.array([1, 2, 3], dtype=np.int64),
    np.array([7], dtype=np.int32),
    np.array([True, False]),
    np.array([b"a", b"bc"]),
    np.array([1 + 2j, 3 - 4j], dtype=np.complex64),
    np.array([1.5], dtype=np.float16),
    np.array([1.5, 2.5], dtype=np.float16),
    np.array([1, 2**32 - 1], dtype=np.uint32),
    np.zeros([0, 4], dtype=np.float64),
], ids=lambda v: f"{v.dtype}{list(np.shape(v))}")
def test_tensor_proto_made_by_tensorflow_round_trips(real_tf, value):
    from minitf.protos import tensor_pb2

    _round_trip(real_tf.make_tensor_proto(value), tensor_pb2.TensorProto)


@pytest.mark.tensorflow
def test_tf1_graph_def_round_trips(real_tf):
    from minitf.protos import graph_pb2

    v1 = real_tf.compat.v1
    with real_tf.Graph().as_default() as graph:
        x = v1.placeholder(real_tf.float32, [None, 3], name="x")
        w = v1.Variable(np.zeros([3, 2], np.float32), name="w", use_resource=False)
        logits = real_tf.nn.bias_add(real_tf.matmul(x, w), real_tf.constant([0.5, -0.5]))
        with real_tf.control_dependencies([logits]):
            real_tf.nn.softmax(logits, name="probs")
        real_tf.squeeze(x, name="squeezed")
    official = graph.as_graph_def()
    official.node[0].attr["_ref"].type = real_tf.float32.as_datatype_enum + 100  # DT_FLOAT_REF
    ours = _round_trip(official, graph_pb2.GraphDef)
    assert any(node.op == "VariableV2" for node in ours.node)
    assert ours.node[0].attr["_ref"].type == 101


@pytest.mark.tensorflow
def test_tf2_graph_def_keeps_a_typed_function_library(real_tf):
    from minitf.protos import graph_pb2

    @real_tf.function
    def inner(x):
        return x * 2.0

    @real_tf.function
    def outer(x):
        return inner(x) + 1.0

    spec = real_tf.TensorSpec([None], real_tf.float32)
    official = outer.get_concrete_function(spec).graph.as_graph_def()
    ours = _round_trip(official, graph_pb2.GraphDef)
    assert ours.library.function and ours.library.function[0].signature.name


@pytest.mark.tensorflow
def test_saved_model_written_by_tensorflow_round_trips(real_tf, tmp_path):
    from tensorflow.core.protobuf import saved_model_pb2 as tf_saved_model_pb2

    from minitf.protos import saved_model_pb2

    class Doubler(real_tf.Module):
        @real_tf.function(input_signature=[real_tf.TensorSpec([None, 2], real_tf.float32)])
        def __call__(self, x):
            return {"y": x * 2.0}

    real_tf.saved_model.save(Doubler(), str(tmp_path))
    data = (tmp_path / "saved_model.pb").read_bytes()
    official = tf_saved_model_pb2.SavedModel.FromString(data)
    ours = saved_model_pb2.SavedModel.FromString(data)
    assert ours.SerializeToString(deterministic=True) == official.SerializeToString(
        deterministic=True)
    assert tf_saved_model_pb2.SavedModel.FromString(ours.SerializeToString()) == official
    signature = ours.meta_graphs[0].signature_def["serving_default"]
    assert signature.method_name == "tensorflow/serving/predict"
    assert list(signature.outputs) == ["y"]


@pytest.mark.tensorflow
def test_predict_request_round_trips(real_tf, serving_apis):
    from tensorflow_serving.apis import model_pb2 as tfs_model_pb2

    from minitf.protos import predict_pb2

    official = serving_apis.PredictRequest(
        model_spec=tfs_model_pb2.ModelSpec(name="m", version=wrappers_pb2.Int64Value(value=3),
                                           signature_name="serving_default"),
        output_filter=["y"], client_id=b"c",
        request_options=serving_apis.PredictRequest.RequestOptions(max_cache_length=5))
    official.inputs["x"].CopyFrom(real_tf.make_tensor_proto(np.ones([2, 3], np.float32)))
    official.inputs["n"].CopyFrom(real_tf.make_tensor_proto(7))
    ours = _round_trip(official, predict_pb2.PredictRequest)
    assert ours.model_spec.WhichOneof("version_choice") == "version"
    assert ours.HasField("client_id") and ours.request_options.max_cache_length == 5


@pytest.mark.tensorflow
def test_session_run_request_keeps_run_options(real_tf, serving_apis):
    from tensorflow.core.protobuf import config_pb2 as tf_config_pb2
    from tensorflow_serving.apis import session_service_pb2 as tfs_session_pb2

    from minitf.protos import session_service_pb2

    official = tfs_session_pb2.SessionRunRequest(
        fetch=["y:0"], target=["init"], tensor_name_is_alias=True,
        options=tf_config_pb2.RunOptions(timeout_in_ms=250, trace_level=3))
    official.model_spec.name = "m"
    official.feed.add(name="x:0").tensor.CopyFrom(real_tf.make_tensor_proto([1.0, 2.0]))
    ours = _round_trip(official, session_service_pb2.SessionRunRequest, opaque=("options",))
    # The declared fields parse; anything else TF sets would stay an unknown field.
    assert (ours.options.trace_level, ours.options.timeout_in_ms) == (3, 250)


@pytest.mark.tensorflow
def test_tensorboard_event_round_trips(real_tf):
    from tensorflow.core.framework import summary_pb2 as tf_summary_pb2
    from tensorflow.core.util import event_pb2 as tf_event_pb2

    from minitf.protos import event_pb2

    summary = tf_summary_pb2.Summary(value=[
        tf_summary_pb2.Summary.Value(tag="loss", simple_value=0.25),
        tf_summary_pb2.Summary.Value(
            tag="w", histo=tf_summary_pb2.HistogramProto(
                min=0, max=1, num=2, sum=1, sum_squares=1, bucket_limit=[0.5, 1], bucket=[1, 1])),
        tf_summary_pb2.Summary.Value(
            tag="img", image=tf_summary_pb2.Summary.Image(height=1, width=1, colorspace=1,
                                                          encoded_image_string=b"png"),
            metadata=tf_summary_pb2.SummaryMetadata(
                plugin_data=tf_summary_pb2.SummaryMetadata.PluginData(plugin_name="images"),
                data_class=tf_summary_pb2.DATA_CLASS_BLOB_SEQUENCE)),
    ])
    for official in (tf_event_pb2.Event(wall_time=1.5, file_version="brain.Event:2"),
                     tf_event_pb2.Event(wall_time=2.0, step=3, summary=summary),
                     tf_event_pb2.Event(step=4, session_log=tf_event_pb2.SessionLog(
                         status=tf_event_pb2.SessionLog.START))):
        _round_trip(official, event_pb2.Event)


@pytest.mark.tensorflow
def test_model_metadata_any_unpacks_with_official_classes(serving_apis):
    from tensorflow_serving.apis import get_model_metadata_pb2 as tfs_metadata_pb2

    signatures = get_model_metadata_pb2.SignatureDefMap()
    signatures.signature_def["serving_default"].method_name = "tensorflow/serving/predict"
    ours = get_model_metadata_pb2.GetModelMetadataResponse(
        metadata={"signature_def": protos.pack_any(signatures)})
    official = tfs_metadata_pb2.GetModelMetadataResponse.FromString(ours.SerializeToString())
    unpacked = tfs_metadata_pb2.SignatureDefMap()
    assert official.metadata["signature_def"].Unpack(unpacked)
    assert unpacked.signature_def["serving_default"].method_name == "tensorflow/serving/predict"

    official.metadata["signature_def"].Pack(unpacked)  # the official client's own packing
    back = protos.unpack_any(official.metadata["signature_def"],
                             get_model_metadata_pb2.SignatureDefMap)
    assert back == signatures


@pytest.mark.tensorflow
def test_model_status_reads_with_official_classes(serving_apis):
    from tensorflow_serving.apis import get_model_status_pb2 as tfs_status_pb2

    ours = get_model_status_pb2.GetModelStatusResponse(model_version_status=[
        get_model_status_pb2.ModelVersionStatus(
            version=2, state=get_model_status_pb2.ModelVersionStatus.AVAILABLE),
        get_model_status_pb2.ModelVersionStatus(
            version=3, state=get_model_status_pb2.ModelVersionStatus.END,
            status={"error_code": 3, "error_message": "bad graph"})])
    official = tfs_status_pb2.GetModelStatusResponse.FromString(ours.SerializeToString())
    assert official.model_version_status[0].state == tfs_status_pb2.ModelVersionStatus.AVAILABLE
    assert official.model_version_status[1].status.error_message == "bad graph"
    assert _as_dict(official) == _as_dict(ours)


# --------------------------------------------------------------------------------------------
# One process with the originals.

_IMPORT_OURS = (
    "import importlib, minitf.protos as p\n"
    "for source in p.CANONICAL_FILES:\n"
    "    importlib.import_module('minitf.protos.' + source[:-6] + '_pb2')\n"
    "p.reflection_pool()\n"
)
_IMPORT_TRITON = "import tritonclient.grpc\nfrom tritonclient.grpc import service_pb2\n"
_IMPORT_TF = (
    "import tensorflow as tf\n"
    "from tensorflow_serving.apis import (predict_pb2, prediction_service_pb2,\n"
    "    model_service_pb2, session_service_pb2, get_model_metadata_pb2)\n"
)


def _run_python(code: str) -> None:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("ours_first", [True, False], ids=["ours-first", "theirs-first"])
def test_one_process_with_tritonclient(ours_first):
    imports = [_IMPORT_OURS, _IMPORT_TRITON]
    _run_python("".join(imports if ours_first else imports[::-1]) + (
        "from minitf.protos import grpc_service_pb2 as ours\n"
        "data = service_pb2.ModelInferRequest(model_name='m').SerializeToString()\n"
        "assert ours.ModelInferRequest.FromString(data).model_name == 'm'\n"))


@pytest.mark.tensorflow
@pytest.mark.parametrize("ours_first", [True, False], ids=["ours-first", "theirs-first"])
def test_one_process_with_tensorflow_serving_and_tritonclient(real_tf, serving_apis, ours_first):
    imports = [_IMPORT_OURS, _IMPORT_TF + _IMPORT_TRITON]
    _run_python("".join(imports if ours_first else imports[::-1]) + (
        "from minitf.protos import predict_pb2 as ours\n"
        "request = predict_pb2.PredictRequest()\n"
        "request.inputs['x'].CopyFrom(tf.make_tensor_proto([1.0, 2.0]))\n"
        "data = request.SerializeToString()\n"
        "assert ours.PredictRequest.FromString(data).SerializeToString() == data\n"))


# --------------------------------------------------------------------------------------------
# Canonical names, Any and the reflection pool.


def _our_services():
    for source in SOURCES:
        yield from _module(source).DESCRIPTOR.services_by_name.values()


def test_services_and_method_paths_use_canonical_names():
    found = {protos.service_name(s): [m.name for m in s.methods] for s in _our_services()}
    assert found == EXPECTED_SERVICES
    predict = next(s for s in _our_services() if s.name == "PredictionService"
                   ).methods_by_name["Predict"]
    assert protos.method_path(predict) == "/tensorflow.serving.PredictionService/Predict"
    infer = grpc_service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"]
    assert protos.method_path(infer.methods_by_name["ModelInfer"]) == (
        "/inference.GRPCInferenceService/ModelInfer")


def test_canonical_names():
    assert protos.canonical_name("minitf.tensorflow.serving.PredictionService") == (
        "tensorflow.serving.PredictionService")
    assert protos.canonical_name("minitf.inference.GRPCInferenceService") == (
        "inference.GRPCInferenceService")
    assert protos.canonical_name("minitf.tensorflow.error.Code") == "tensorflow.error.Code"
    assert protos.canonical_name("google.protobuf.Any") == "google.protobuf.Any"
    assert protos.canonical_file_name("minitf/protos/graph.proto") == (
        "tensorflow/core/framework/graph.proto")
    assert protos.canonical_file_name("google/protobuf/any.proto") == "google/protobuf/any.proto"


def test_any_uses_canonical_type_urls():
    signatures = get_model_metadata_pb2.SignatureDefMap()
    signatures.signature_def["serving_default"].method_name = "tensorflow/serving/predict"
    packed = protos.pack_any(signatures)
    assert packed.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    assert protos.type_url(get_model_metadata_pb2.SignatureDefMap.DESCRIPTOR) == packed.type_url
    assert protos.unpack_any(packed, get_model_metadata_pb2.SignatureDefMap) == signatures
    with pytest.raises(ValueError, match="SignatureDefMap"):
        protos.unpack_any(packed, get_model_status_pb2.GetModelStatusResponse)


def test_reflection_pool_speaks_only_canonical_names():
    pool = protos.reflection_pool()
    assert pool is not descriptor_pool.Default()
    file_protos = protos.canonical_file_protos()
    # The text format shows every file name, package, type name and type reference.
    assert not [f.name for f in file_protos if "minitf" in str(f)]
    for name, methods in EXPECTED_SERVICES.items():
        service = pool.FindServiceByName(name)
        assert [m.name for m in service.methods] == methods
        for method in service.methods:
            assert not method.input_type.full_name.startswith("minitf")
    assert pool.FindServiceByName("tensorflow.serving.PredictionService").file.name == (
        "tensorflow_serving/apis/prediction_service.proto")
    # The default pool still holds tritonclient's own, complete service, not ours.
    default = descriptor_pool.Default().FindServiceByName("inference.GRPCInferenceService")
    assert default.file.name == "grpc_service.proto"
    assert "TraceSetting" in default.methods_by_name
    assert "TraceSetting" not in pool.FindServiceByName(
        "inference.GRPCInferenceService").methods_by_name


def test_reflection_pool_messages_match_the_originals_and_parse_our_bytes():
    pool = protos.reflection_pool()
    for source in ("grpc_service.proto", "model_config.proto"):
        file = pool.FindFileByName(protos.CANONICAL_FILES[source])
        problems = list(_compare_file(file, _official_pool("tritonclient"), lambda n: n))
        assert not problems, "\n".join(problems)
    request = grpc_service_pb2.ModelInferRequest(model_name="m", raw_input_contents=[b"\0" * 8])
    reflected = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("inference.ModelInferRequest"))
    data = request.SerializeToString()
    assert reflected.FromString(data).SerializeToString() == data


@pytest.mark.tensorflow
def test_reflection_pool_matches_tensorflow_and_serving_descriptors(real_tf, serving_apis):
    pool = protos.reflection_pool()
    for source, canonical in protos.CANONICAL_FILES.items():
        family = _family(_module(source).DESCRIPTOR)
        if family.startswith("tensorflow"):
            problems = list(_compare_file(pool.FindFileByName(canonical),
                                          _official_pool(family, source), lambda n: n))
            assert not problems, "\n".join(problems)


def test_reflection_pool_serves_grpc_reflection_clients():
    """grpcio-reflection's own server and client, over a real channel, see canonical names."""
    reflection = pytest.importorskip("grpc_reflection.v1alpha.reflection")
    database = pytest.importorskip("grpc_reflection.v1alpha.proto_reflection_descriptor_database")
    import grpc
    from concurrent import futures

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    names = [*EXPECTED_SERVICES, reflection.SERVICE_NAME]
    reflection.enable_server_reflection(names, server, pool=protos.reflection_pool())
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            remote = descriptor_pool.DescriptorPool(
                database.ProtoReflectionDescriptorDatabase(channel))
            service = remote.FindServiceByName("tensorflow.serving.PredictionService")
            assert service.methods_by_name["Predict"].input_type.full_name == (
                "tensorflow.serving.PredictRequest")
            tensor = remote.FindMessageTypeByName("tensorflow.TensorProto")
            assert tensor.fields_by_name["tensor_content"].number == 4
    finally:
        server.stop(None)
