"""Session configuration protos: ConfigProto with GraphOptions / OptimizerOptions /
RewriterConfig / RPCOptions / ClusterDef / Experimental, complete and wire-compatible with
TensorFlow's tensorflow/core/protobuf/{config,rewriter_config,cluster,verifier_config}.proto.

TF-free tests check hand-encoded wire bytes, round trips, unknown-field survival, the exports
and that a Session still honours ``operation_timeout_in_ms``. TF-gated tests compare our
descriptors with TensorFlow's field by field, and the bytes of the same messages built on both
sides.
"""

from __future__ import annotations

import time

import pytest

import minitf as tf
from minitf.protos import cluster_pb2, config_pb2, rewriter_config_pb2, verifier_config_pb2

OUR_FILES = (config_pb2, rewriter_config_pb2, cluster_pb2, verifier_config_pb2)
MINUS_ONE = b"\xff" * 9 + b"\x01"  # varint of an enum value -1 (ten bytes, sign-extended)


def _ld(tag: int, payload: bytes) -> bytes:
    """A length-delimited field with a one-byte tag and a one-byte length."""
    assert len(payload) < 128
    return bytes([tag, len(payload)]) + payload


def _unknown(message) -> int:
    """How many unknown fields ``message`` holds at its own level."""
    from google.protobuf import unknown_fields

    return len(unknown_fields.UnknownFieldSet(message))


def _task_example():
    """The TF1 idiom of the task: optimizer level L0, XLA auto-jit ON_1."""
    return tf.ConfigProto(graph_options=tf.GraphOptions(optimizer_options=tf.OptimizerOptions(
        opt_level=tf.OptimizerOptions.L0, global_jit_level=tf.OptimizerOptions.ON_1)))


# --------------------------------------------------------------------------------------------
# TF-free


def test_exports_are_the_config_messages():
    assert tf.GraphOptions is config_pb2.GraphOptions
    assert tf.OptimizerOptions is config_pb2.OptimizerOptions
    assert tf.ConfigProto is config_pb2.ConfigProto
    assert (tf.OptimizerOptions.L0, tf.OptimizerOptions.L1) == (-1, 0)
    assert (tf.OptimizerOptions.OFF, tf.OptimizerOptions.ON_2) == (-1, 2)


def test_optimizer_options_bytes_by_hand():
    # ConfigProto.graph_options = 10 -> GraphOptions.optimizer_options = 3 ->
    # OptimizerOptions.opt_level = 3 (enum -1), global_jit_level = 5 (1).
    optimizer = b"\x18" + MINUS_ONE + b"\x28\x01"
    expected = _ld(0x52, _ld(0x1A, optimizer))
    config = _task_example()
    assert config.SerializeToString() == expected
    parsed = tf.ConfigProto.FromString(expected)
    assert parsed.graph_options.optimizer_options.opt_level == tf.OptimizerOptions.L0
    assert parsed.graph_options.optimizer_options.global_jit_level == tf.OptimizerOptions.ON_1
    assert parsed == config and not _unknown(parsed)


def test_rewrite_options_bytes_by_hand():
    config = tf.ConfigProto()
    rewrite = config.graph_options.rewrite_options
    rewrite.constant_folding = rewriter_config_pb2.RewriterConfig.OFF  # field 3, value 2
    rewrite.memory_optimization = rewriter_config_pb2.RewriterConfig.MANUAL  # field 4, value 2
    rewrite.optimizers.append("pruning")  # field 100: tag varint(802) = a2 06
    rewrite.post_optimization_verifier_config.structure_verifier = (
        verifier_config_pb2.VerifierConfig.ON)  # field 301: tag varint(2410) = ea 12; 2 = 1
    rewriter = (b"\x18\x02" + b"\x20\x02" + b"\xa2\x06\x07pruning"
                + b"\xea\x12\x02" + b"\x10\x01")
    expected = _ld(0x52, _ld(0x52, rewriter))  # GraphOptions.rewrite_options is field 10 too
    assert config.SerializeToString() == expected
    assert tf.ConfigProto.FromString(expected) == config


def test_cluster_def_and_rpc_options_bytes_by_hand():
    config = tf.ConfigProto(operation_timeout_in_ms=300)
    config.rpc_options.compression_algorithm = "gzip"  # RPCOptions field 2
    config.rpc_options.compression_level = 2  # field 3
    job = config.cluster_def.job.add(name="ps")  # ConfigProto 14 -> ClusterDef.job 1
    job.tasks[1] = "h:1"  # JobDef.tasks 2: map entry key 1, value 2
    rpc = b"\x12\x04gzip" + b"\x18\x02"
    cluster = _ld(0x0A, b"\x0a\x02ps" + _ld(0x12, b"\x08\x01" + b"\x12\x03h:1"))
    expected = b"\x58\xac\x02" + _ld(0x6A, rpc) + _ld(0x72, cluster)  # 11: varint 300
    assert config.SerializeToString() == expected
    assert tf.ConfigProto.FromString(expected) == config


def test_every_new_part_round_trips():
    config = tf.ConfigProto(
        session_inter_op_thread_pool=[config_pb2.ThreadPoolOptionProto(num_threads=2,
                                                                       global_name="g")],
        pluggable_device_options=config_pb2.GPUOptions(allow_growth=True),
        share_cluster_devices_in_session=True)
    config.gpu_options.experimental.virtual_devices.add(memory_limit_mb=[512.0, 256.0])
    config.gpu_options.experimental.stream_merge_options.merge_host_to_device_stream = True
    experimental = config.experimental
    experimental.mlir_bridge_rollout = experimental.MLIR_BRIDGE_ROLLOUT_DISABLED
    experimental.session_metadata.name, experimental.session_metadata.version = "s", 3
    experimental.coordination_config.coordinated_job_list.add(name="worker", num_tasks=4)
    experimental.tf2xla_dump_dir = "/tmp/x"
    custom = config.graph_options.rewrite_options.custom_optimizers.add(name="mine")
    custom.parameter_map["k"].i = 7
    config.graph_options.rewrite_options.auto_parallel.num_replicas = 2
    config.graph_options.rewrite_options.scoped_allocator_opts.enable_op.append("CollectiveReduce")
    data = config.SerializeToString()
    again = tf.ConfigProto.FromString(data)
    assert again == config and again.SerializeToString() == data
    assert again.graph_options.rewrite_options.custom_optimizers[0].parameter_map["k"].i == 7
    assert list(again.gpu_options.experimental.virtual_devices[0].memory_limit_mb) == [512, 256]


def test_undeclared_fields_survive():
    # Field 900 (varint 5) exists in no version of ConfigProto or GraphOptions.
    unknown = b"\xa0\x38\x05"
    data = _ld(0x52, unknown) + unknown
    config = tf.ConfigProto.FromString(data)
    assert config.SerializeToString() == data
    assert _unknown(config) == 1 and _unknown(config.graph_options) == 1


def test_cluster_spec_gives_a_cluster_def():
    spec = tf.train.ClusterSpec({"worker": ["w0:1"], "ps": ["p0:2"]})
    cluster_def = spec.as_cluster_def()
    assert isinstance(cluster_def, cluster_pb2.ClusterDef)
    assert spec.as_cluster_def() is cluster_def
    assert [job.name for job in cluster_def.job] == ["ps", "worker"]  # sorted, as TF
    # Jobs with one task each: no map-order question, so the bytes are fixed.
    expected = (_ld(0x0A, b"\x0a\x02ps" + _ld(0x12, b"\x08\x00\x12\x04p0:2"))
                + _ld(0x0A, b"\x0a\x06worker" + _ld(0x12, b"\x08\x00\x12\x04w0:1")))
    assert cluster_def.SerializeToString() == expected
    assert tf.ConfigProto(cluster_def=cluster_def).SerializeToString() == _ld(0x72, expected)
    given = cluster_pb2.ClusterDef.FromString(expected)
    from_def = tf.train.ClusterSpec(given)
    assert from_def.as_cluster_def() is given and from_def.as_dict() == spec.as_dict()
    copied = tf.train.ClusterSpec(spec)
    assert copied.as_cluster_def() == cluster_def and copied.as_cluster_def() is not cluster_def
    assert copied.jobs == ["ps", "worker"]  # rebuilt from the sorted ClusterDef, as TF


def test_session_accepts_every_option_and_keeps_the_timeout():
    config = _task_example()
    config.graph_options.rewrite_options.constant_folding = rewriter_config_pb2.RewriterConfig.OFF
    config.rpc_options.use_rpc_for_inprocess_master = True
    config.experimental.executor_type = "SINGLE_THREADED_EXECUTOR"
    config.operation_timeout_in_ms = 50
    x = tf.constant(3.0)
    y = x * x
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    dequeue = q.dequeue()
    with tf.Session(config=config) as sess:
        assert sess.run(y) == 9.0
        start = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(dequeue)  # the config's operation_timeout_in_ms is the deadline
        assert time.monotonic() - start < 5


# --------------------------------------------------------------------------------------------
# Side by side with TensorFlow


def _tf_pool():
    pytest.importorskip("tensorflow.core.protobuf.config_pb2")
    from google.protobuf import descriptor_pool

    return descriptor_pool.Default()


def _canonical(name: str) -> str:
    return name.removeprefix("minitf.")


def _field(field, rename) -> tuple:
    typed = field.message_type or field.enum_type
    return (field.name, field.number, field.type, field.is_repeated, field.has_presence,
            field.is_packed, rename(typed.full_name) if typed else None,
            field.containing_oneof.name if field.containing_oneof else None, field.json_name)


def _reserved(descriptor) -> tuple:
    from google.protobuf import descriptor_pb2

    proto = (descriptor_pb2.DescriptorProto() if hasattr(descriptor, "fields")
             else descriptor_pb2.EnumDescriptorProto())
    descriptor.CopyToProto(proto)
    return ([(r.start, r.end) for r in proto.reserved_range], list(proto.reserved_name))


def _compare(ours, theirs, problems: list) -> None:
    """Every field, nested message, enum (values and reservations) of ``ours`` equals
    ``theirs``, in both directions."""
    name = theirs.full_name
    mine = {f.number: _field(f, _canonical) for f in ours.fields}
    official = {f.number: _field(f, lambda n: n) for f in theirs.fields}
    if mine != official:
        problems.append(f"{name}: fields {sorted(set(mine.items()) ^ set(official.items()))}")
    if ours.GetOptions().map_entry != theirs.GetOptions().map_entry:
        problems.append(f"{name}: map_entry differs")
    if _reserved(ours) != _reserved(theirs):
        problems.append(f"{name}: reserved {_reserved(ours)} != {_reserved(theirs)}")
    for kind in ("nested_types_by_name", "enum_types_by_name"):
        if set(getattr(ours, kind)) != set(getattr(theirs, kind)):
            problems.append(f"{name}: {kind} {set(getattr(ours, kind))} != "
                            f"{set(getattr(theirs, kind))}")
    for nested_name, nested in ours.nested_types_by_name.items():
        if nested_name in theirs.nested_types_by_name:
            _compare(nested, theirs.nested_types_by_name[nested_name], problems)
    for enum_name, enum in ours.enum_types_by_name.items():
        other = theirs.enum_types_by_name.get(enum_name)
        if other is not None:
            values = [(v.name, v.number) for v in enum.values]
            if values != [(v.name, v.number) for v in other.values]:
                problems.append(f"{name}.{enum_name}: values differ")
            if _reserved(enum) != _reserved(other):
                problems.append(f"{name}.{enum_name}: reserved differ")


@pytest.mark.tensorflow
def test_descriptors_equal_tensorflow_field_by_field():
    pool = _tf_pool()
    problems: list[str] = []
    ours_by_name = {}
    for module in OUR_FILES:
        for message in module.DESCRIPTOR.message_types_by_name.values():
            ours_by_name[_canonical(message.full_name)] = message
            _compare(message, pool.FindMessageTypeByName(_canonical(message.full_name)),
                     problems)
    assert not problems, "\n".join(problems)
    # Every message of TF's files is ours too (RPCOptions and the coordination config live in
    # TF's xla/tsl files, in our config.proto).
    for file in ("tensorflow/core/protobuf/config.proto",
                 "tensorflow/core/protobuf/rewriter_config.proto",
                 "tensorflow/core/protobuf/cluster.proto",
                 "tensorflow/core/protobuf/verifier_config.proto",
                 "xla/tsl/protobuf/rpc_options.proto",
                 "xla/tsl/protobuf/coordination_config.proto"):
        assert set(pool.FindFileByName(file).message_types_by_name) <= {
            n.rpartition(".")[2] for n in ours_by_name}, file


@pytest.mark.tensorflow
def test_the_descriptor_comparison_can_fail():
    pool = _tf_pool()
    problems: list[str] = []
    _compare(config_pb2.GraphOptions.DESCRIPTOR,
             pool.FindMessageTypeByName("tensorflow.OptimizerOptions"), problems)
    _compare(verifier_config_pb2.VerifierConfig.DESCRIPTOR,
             pool.FindMessageTypeByName("tensorflow.RewriterConfig"), problems)
    assert len(problems) >= 3


def _build(module_config, module_rewriter, module_cluster):
    config = module_config.ConfigProto(
        intra_op_parallelism_threads=2, allow_soft_placement=True,
        graph_options=module_config.GraphOptions(
            optimizer_options=module_config.OptimizerOptions(
                opt_level=module_config.OptimizerOptions.L0,
                global_jit_level=module_config.OptimizerOptions.ON_1,
                do_function_inlining=True, max_folded_constant_in_bytes=1 << 20),
            build_cost_model=3, infer_shapes=True))
    config.device_count["CPU"] = 1
    config.session_inter_op_thread_pool.add(num_threads=3, global_name="pool")
    rewrite = config.graph_options.rewrite_options
    rewrite.layout_optimizer = module_rewriter.RewriterConfig.OFF
    rewrite.arithmetic_optimization = module_rewriter.RewriterConfig.AGGRESSIVE
    rewrite.memory_optimization = module_rewriter.RewriterConfig.RECOMPUTATION_HEURISTICS
    rewrite.meta_optimizer_iterations = module_rewriter.RewriterConfig.ONE
    rewrite.cpu_layout_conversion = module_rewriter.RewriterConfig.NCHW_TO_NHWC
    rewrite.min_graph_nodes = -1
    rewrite.optimizers.extend(["constfold", "pruning"])
    rewrite.custom_optimizers.add(name="c").parameter_map["f"].f = 0.5
    rewrite.inter_optimizer_verifier_config.verification_timeout_in_ms = 10
    config.rpc_options.num_channels_per_target = 4
    config.rpc_options.cache_rpc_response = True
    config.gpu_options.allow_growth = True
    config.gpu_options.experimental.virtual_devices.add(memory_limit_mb=[100.0], priority=[-1])
    job = config.cluster_def.job.add(name="worker")
    job.tasks[0] = "localhost:2222"
    experimental = config.experimental
    experimental.collective_group_leader = "/job:worker/replica:0/task:0"
    experimental.mlir_bridge_rollout = experimental.MLIR_BRIDGE_ROLLOUT_ENABLED
    experimental.xla_fusion_autotuner_thresh = 5
    experimental.coordination_config.service_type = "standalone"
    experimental.coordination_config.recoverable_jobs.append("worker")
    experimental.online_cost_analysis = True
    return config


@pytest.mark.tensorflow
def test_same_config_same_bytes_as_tensorflow():
    tf_config = pytest.importorskip("tensorflow.core.protobuf.config_pb2")
    from tensorflow.core.protobuf import cluster_pb2 as tf_cluster
    from tensorflow.core.protobuf import rewriter_config_pb2 as tf_rewriter

    theirs = _build(tf_config, tf_rewriter, tf_cluster)
    ours = _build(config_pb2, rewriter_config_pb2, cluster_pb2)
    for deterministic in (False, True):
        assert (ours.SerializeToString(deterministic=deterministic)
                == theirs.SerializeToString(deterministic=deterministic))
    ours_data, their_data = ours.SerializeToString(), theirs.SerializeToString()
    assert config_pb2.ConfigProto.FromString(their_data) == ours
    assert tf_config.ConfigProto.FromString(ours_data) == theirs
    known = config_pb2.ConfigProto.FromString(their_data)
    known.DiscardUnknownFields()  # recursive: nothing of TF's is unknown to us, at any depth
    assert known.SerializeToString() == their_data
    # The task's idiom, through the public names on both sides.
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    theirs = tf1.ConfigProto(graph_options=tf1.GraphOptions(optimizer_options=tf1.OptimizerOptions(
        opt_level=tf1.OptimizerOptions.L0, global_jit_level=tf1.OptimizerOptions.ON_1)))
    assert _task_example().SerializeToString() == theirs.SerializeToString()


@pytest.mark.tensorflow
def test_cluster_spec_bytes_equal_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for spec in ({"worker": ["w0:1", "w1:1"], "ps": {0: "p0:2", 3: "p3:2"}}, {},
                 {"chief": ("c:1",), "w": {"2": "x:3"}}, {b"j": [b"a:1"]}):
        t, m = tf1.train.ClusterSpec(spec), tf.train.ClusterSpec(spec)
        assert m.as_cluster_def().SerializeToString() == t.as_cluster_def().SerializeToString()
        copy_t, copy_m = tf1.train.ClusterSpec(t), tf.train.ClusterSpec(m)
        assert copy_m.jobs == copy_t.jobs and copy_m.as_dict() == copy_t.as_dict()
        from_tf = tf.train.ClusterSpec(t.as_cluster_def())  # TensorFlow's own ClusterDef
        assert (from_tf.as_cluster_def().SerializeToString()
                == t.as_cluster_def().SerializeToString())
        assert from_tf.jobs == tf1.train.ClusterSpec(t.as_cluster_def()).jobs


_BLAS_THREADS = """
import json, threadpoolctl
import minitf as tf
def blas():
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
seen = [blas()]
tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=1))  # intra unset: unchanged
seen.append(blas())
with tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=1)) as sess:
    seen.append(blas())
    seen.append(sess.run(tf.matmul(tf.ones([64, 64]), tf.ones([64, 64])))[0, 0].item())
tf.config.threading.set_intra_op_parallelism_threads(3)
seen.append(blas())
print(json.dumps(seen))
"""


def test_intra_op_parallelism_threads_caps_blas_threads():
    """TF's intra-op pool is minitf's BLAS: a session's intra_op_parallelism_threads and
    tf.config.threading's setter cap BLAS's threads, as threadpoolctl reads them back (in a
    child process: the setting is process-wide)."""
    import json
    import subprocess
    import sys

    pytest.importorskip("threadpoolctl")
    out = subprocess.run([sys.executable, "-c", _BLAS_THREADS], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    before, unset, one, product, three = json.loads(out.splitlines()[-1])
    if not before:
        pytest.skip("numpy's BLAS is not one threadpoolctl can see")
    assert unset == before
    assert one == [1] * len(before) and product == 64.0
    assert three == [3] * len(before)
