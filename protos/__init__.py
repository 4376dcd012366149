"""minitf's wire contracts: the ``.proto`` sources beside this file and the modules generated
from them. ``make protos`` runs ``generate.py``; the generated ``*_pb2.py`` / ``*_pb2.pyi`` are
committed.

Every message is wire-compatible with its original -- same message and field names, numbers,
types, labels, packed-ness, oneofs and enum values -- but lives in a proto package of our own, so
that minitf imports in one process with tensorflow, tensorflow-serving-api and tritonclient
without descriptor-pool clashes. Our package is always ``minitf.`` + the canonical package:

- ``minitf.tensorflow``: types, tensor_shape, resource_handle, tensor, attr_value, full_type,
  node_def, op_def, function, versions, graph, struct, saver, control_flow, meta_graph,
  saved_model, named_tensor, allocation_description, tensor_description, step_stats, cost_graph,
  debug, verifier_config, rewriter_config, cluster, config (ConfigProto, RunOptions,
  RunMetadata...), histogram, summary, event, feature, example
- ``minitf.tensorflow.error``: error_codes
- ``minitf.tensorflow.tfprof``: tfprof_output, tfprof_log (what ``tf.profiler`` returns)
- ``minitf.tensorflow.serving``: model, predict, input, classification, regression, inference,
  get_model_metadata, status, get_model_status, session_service, prediction_service,
  model_management, model_service, logging, prediction_log (warm-up records); the configuration
  files model_server_config, file_system_storage_path_source, logging_config,
  log_collector_config, session_bundle_config (only its BatchingParameters),
  monitoring_config and ssl_config
- ``minitf.inference`` (KServe v2 / Triton): grpc_service, model_config
- ``minitf.grpc.health.v1``: health
- ``minitf.grpc.reflection.v1alpha`` / ``.v1``: reflection_v1alpha / reflection_v1
- ``minitf.tensorboard.projector``: projector_config (TensorBoard's embedding projector)

Each name is a source ``protos/<name>.proto``, registered as ``minitf/protos/<name>.proto`` and
generated as ``minitf.protos.<name>_pb2``; ``CANONICAL_FILES`` maps it to the original's path.
The package never reaches the wire bytes. It does matter for gRPC method paths, ``Any`` type URLs
and server reflection: use :func:`method_path`, :func:`pack_any` / :func:`unpack_any` and
:func:`reflection_pool`, which speak the canonical names.

Fields deliberately not declared are kept by the parser as unknown fields and written back
unchanged: ``OpDef.ArgDef.experimental_full_type`` (17), ``GraphDef.debug_info`` (5),
``MetaGraphDef.object_graph_def`` (7), ``ExecProfile.allocations`` (11), and the parts of
Triton's ``ModelConfig`` beyond name, platform, backend, version policy, max batch size,
inputs, outputs and dynamic batching. Services list only the RPCs minitf serves (none of
Triton's streaming, repository, shared-memory, trace and logging RPCs).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator

from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import (
    Descriptor,
    FileDescriptor,
    MethodDescriptor,
    ServiceDescriptor,
)
from google.protobuf.message import Message

PACKAGE_PREFIX = "minitf."
PROTO_ROOT = "minitf/protos/"  # the registered file name is PROTO_ROOT + <source file name>
TYPE_URL_PREFIX = "type.googleapis.com/"

# Our source file -> the original file it is wire-compatible with.
CANONICAL_FILES: dict[str, str] = {
    "types.proto": "tensorflow/core/framework/types.proto",
    "tensor_shape.proto": "tensorflow/core/framework/tensor_shape.proto",
    "resource_handle.proto": "tensorflow/core/framework/resource_handle.proto",
    "tensor.proto": "tensorflow/core/framework/tensor.proto",
    "attr_value.proto": "tensorflow/core/framework/attr_value.proto",
    "full_type.proto": "tensorflow/core/framework/full_type.proto",
    "node_def.proto": "tensorflow/core/framework/node_def.proto",
    "op_def.proto": "tensorflow/core/framework/op_def.proto",
    "function.proto": "tensorflow/core/framework/function.proto",
    "versions.proto": "tensorflow/core/framework/versions.proto",
    "graph.proto": "tensorflow/core/framework/graph.proto",
    "summary.proto": "tensorflow/core/framework/summary.proto",
    "variable.proto": "tensorflow/core/framework/variable.proto",
    "histogram.proto": "xla/tsl/protobuf/histogram.proto",
    "error_codes.proto": "xla/tsl/protobuf/error_codes.proto",
    "struct.proto": "tensorflow/core/protobuf/struct.proto",
    "queue_runner.proto": "tensorflow/core/protobuf/queue_runner.proto",
    "control_flow.proto": "tensorflow/core/protobuf/control_flow.proto",
    "saver.proto": "tensorflow/core/protobuf/saver.proto",
    "meta_graph.proto": "tensorflow/core/protobuf/meta_graph.proto",
    "saved_model.proto": "tensorflow/core/protobuf/saved_model.proto",
    "named_tensor.proto": "tensorflow/core/protobuf/named_tensor.proto",
    "allocation_description.proto": "tensorflow/core/framework/allocation_description.proto",
    "tensor_description.proto": "tensorflow/core/framework/tensor_description.proto",
    "step_stats.proto": "tensorflow/core/framework/step_stats.proto",
    "cost_graph.proto": "tensorflow/core/framework/cost_graph.proto",
    "debug.proto": "tensorflow/core/protobuf/debug.proto",
    "verifier_config.proto": "tensorflow/core/protobuf/verifier_config.proto",
    "rewriter_config.proto": "tensorflow/core/protobuf/rewriter_config.proto",
    "cluster.proto": "tensorflow/core/protobuf/cluster.proto",
    "config.proto": "tensorflow/core/protobuf/config.proto",
    "feature.proto": "tensorflow/core/example/feature.proto",
    "example.proto": "tensorflow/core/example/example.proto",
    "event.proto": "tensorflow/core/util/event.proto",
    "tfprof_output.proto": "tensorflow/core/profiler/tfprof_output.proto",
    "tfprof_log.proto": "tensorflow/core/profiler/tfprof_log.proto",
    "model.proto": "tensorflow_serving/apis/model.proto",
    "predict.proto": "tensorflow_serving/apis/predict.proto",
    "input.proto": "tensorflow_serving/apis/input.proto",
    "classification.proto": "tensorflow_serving/apis/classification.proto",
    "regression.proto": "tensorflow_serving/apis/regression.proto",
    "inference.proto": "tensorflow_serving/apis/inference.proto",
    "get_model_metadata.proto": "tensorflow_serving/apis/get_model_metadata.proto",
    "status.proto": "tensorflow_serving/apis/status.proto",
    "get_model_status.proto": "tensorflow_serving/apis/get_model_status.proto",
    "session_service.proto": "tensorflow_serving/apis/session_service.proto",
    "prediction_service.proto": "tensorflow_serving/apis/prediction_service.proto",
    "model_management.proto": "tensorflow_serving/apis/model_management.proto",
    "model_service.proto": "tensorflow_serving/apis/model_service.proto",
    "logging.proto": "tensorflow_serving/apis/logging.proto",
    "prediction_log.proto": "tensorflow_serving/apis/prediction_log.proto",
    "file_system_storage_path_source.proto":
        "tensorflow_serving/config/file_system_storage_path_source.proto",
    "log_collector_config.proto": "tensorflow_serving/config/log_collector_config.proto",
    "logging_config.proto": "tensorflow_serving/config/logging_config.proto",
    "model_server_config.proto": "tensorflow_serving/config/model_server_config.proto",
    "session_bundle_config.proto":
        "tensorflow_serving/servables/tensorflow/session_bundle_config.proto",
    "monitoring_config.proto": "tensorflow_serving/config/monitoring_config.proto",
    "ssl_config.proto": "tensorflow_serving/config/ssl_config.proto",
    "grpc_service.proto": "grpc_service.proto",  # Triton registers its files at the root
    "model_config.proto": "model_config.proto",
    "health.proto": "grpc/health/v1/health.proto",
    "reflection_v1alpha.proto": "grpc/reflection/v1alpha/reflection.proto",
    "reflection_v1.proto": "grpc/reflection/v1/reflection.proto",
    "projector_config.proto": "tensorboard/plugins/projector/projector_config.proto",
}


def canonical_name(full_name: str) -> str:
    """``minitf.tensorflow.serving.PredictRequest`` -> ``tensorflow.serving.PredictRequest``.

    Works for packages, messages, enums, services and methods; a name outside our packages
    (``google.protobuf.Any``) is returned unchanged.
    """
    return full_name.removeprefix(PACKAGE_PREFIX)


def canonical_file_name(file_name: str) -> str:
    """``minitf/protos/tensor.proto`` -> ``tensorflow/core/framework/tensor.proto``."""
    if file_name.startswith(PROTO_ROOT):
        return CANONICAL_FILES[file_name.removeprefix(PROTO_ROOT)]
    return file_name


def method_path(method: MethodDescriptor) -> str:
    """The path official clients call: ``/tensorflow.serving.PredictionService/Predict``."""
    return f"/{service_name(method.containing_service)}/{method.name}"


def service_name(service: ServiceDescriptor) -> str:
    """The canonical full service name, e.g. ``inference.GRPCInferenceService``."""
    return canonical_name(service.full_name)


def type_url(message: Message | Descriptor) -> str:
    """The canonical ``Any`` type URL of a message (instance or descriptor)."""
    descriptor = message if isinstance(message, Descriptor) else message.DESCRIPTOR
    return TYPE_URL_PREFIX + canonical_name(descriptor.full_name)


def pack_any(message: Message) -> any_pb2.Any:
    """Pack into ``Any`` under the canonical type URL, so official clients can ``Unpack`` it."""
    return any_pb2.Any(type_url=type_url(message), value=message.SerializeToString())


def unpack_any(packed: any_pb2.Any, message_class: type[Message]) -> Message:
    """Unpack an ``Any`` holding ``message_class`` under its canonical (or our own) type name."""
    descriptor = message_class.DESCRIPTOR
    name = packed.type_url.rpartition("/")[2]
    if name not in (canonical_name(descriptor.full_name), descriptor.full_name):
        raise ValueError(f"Any holds {packed.type_url!r}, not {type_url(descriptor)!r}")
    return message_class.FromString(packed.value)


def file_descriptors() -> list[FileDescriptor]:
    """Our generated files' descriptors, in ``CANONICAL_FILES`` order (imports every module)."""
    return [
        importlib.import_module(f"{__name__}.{source.removesuffix('.proto')}_pb2").DESCRIPTOR
        for source in CANONICAL_FILES
    ]


def canonical_file_protos() -> list[descriptor_pb2.FileDescriptorProto]:
    """Copies of our FileDescriptorProtos renamed to the canonical packages and file names.

    Dependencies come before their dependents (well-known ``google/protobuf`` files included), so
    the list can be added to a fresh pool in order. Only names change: fields, numbers and
    options are as generated.
    """
    ordered: dict[str, FileDescriptor] = {}

    def visit(file: FileDescriptor) -> None:
        if file.name not in ordered:
            for dependency in file.dependencies:
                visit(dependency)
            ordered[file.name] = file

    for file in file_descriptors():
        visit(file)
    return [_canonical_copy(file) for file in ordered.values()]


@functools.cache
def reflection_pool() -> descriptor_pool.DescriptorPool:
    """A private DescriptorPool holding :func:`canonical_file_protos`, for server reflection.

    Reflection clients (grpcurl, grpc_cli, Postman) then see ``tensorflow.serving.*``,
    ``inference.*``, ``grpc.health.v1.*`` ... under the original file names. The default pool is
    never touched, so this works with tensorflow or tritonclient imported too.
    """
    pool = descriptor_pool.DescriptorPool()
    for file_proto in canonical_file_protos():
        pool.Add(file_proto)
    return pool


def _canonical_copy(file: FileDescriptor) -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    proto.name = canonical_file_name(proto.name)
    proto.package = canonical_name(proto.package)
    proto.dependency[:] = [canonical_file_name(name) for name in proto.dependency]
    for field in _fields(proto.message_type):
        if field.type_name:
            field.type_name = _canonical_reference(field.type_name)
    for service in proto.service:
        for method in service.method:
            method.input_type = _canonical_reference(method.input_type)
            method.output_type = _canonical_reference(method.output_type)
    return proto


def _canonical_reference(type_name: str) -> str:
    # References in a FileDescriptorProto are fully qualified with a leading dot.
    return "." + canonical_name(type_name.removeprefix("."))


def _fields(
    messages: list[descriptor_pb2.DescriptorProto],
) -> Iterator[descriptor_pb2.FieldDescriptorProto]:
    for message in messages:
        yield from message.field
        yield from message.extension
        yield from _fields(message.nested_type)
