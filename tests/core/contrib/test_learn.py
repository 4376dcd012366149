"""tf.contrib.learn: ModeKeys' values, RunConfig's TF 1.x contrib constructor over
tf.estimator.RunConfig (checkpoint defaults, ConfigProto, TF_CONFIG model_dir, refused remote
masters) and the namespace's errors for what minitf does not provide."""

import json

import pytest

import minitf as tf

learn = tf.contrib.learn


@pytest.fixture(autouse=True)
def _fresh_graph(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with tf.Graph().as_default():
        yield


def test_mode_keys():
    assert (learn.ModeKeys.TRAIN, learn.ModeKeys.EVAL, learn.ModeKeys.INFER) == (
        "train", "eval", "infer")
    assert learn.ModeKeys.INFER == tf.estimator.ModeKeys.PREDICT


def test_run_config_defaults_and_checkpoint_rule():
    config = learn.RunConfig()
    assert isinstance(config, tf.estimator.RunConfig)
    assert (config.save_checkpoints_secs, config.save_checkpoints_steps) == (600, None)
    assert (config.save_summary_steps, config.keep_checkpoint_max, config.log_step_count_steps,
            config.keep_checkpoint_every_n_hours) == (100, 5, 100, 10000)
    assert (config.master, config.evaluation_master, config.task_type, config.task_id) == (
        "", "", None, 0)
    assert config.is_chief and config.num_ps_replicas == 0 and config.environment == "local"
    steps = learn.RunConfig(save_checkpoints_steps=50)
    assert (steps.save_checkpoints_secs, steps.save_checkpoints_steps) == (None, 50)
    both = learn.RunConfig(save_checkpoints_secs=30, save_checkpoints_steps=50)  # TF keeps both
    assert (both.save_checkpoints_secs, both.save_checkpoints_steps) == (30, 50)
    with pytest.raises(ValueError, match="save_summary_steps should be >= 0"):
        learn.RunConfig(save_summary_steps=-1)


def test_run_config_tf_config_and_replace(tmp_path):
    config = learn.RunConfig(num_cores=3, log_device_placement=True, gpu_memory_fraction=0.5,
                             tf_random_seed=4, model_dir=str(tmp_path))
    proto = config.tf_config
    assert isinstance(proto, tf.ConfigProto)
    assert proto.inter_op_parallelism_threads == proto.intra_op_parallelism_threads == 3
    assert proto.log_device_placement
    assert proto.gpu_options.per_process_gpu_memory_fraction == 0.5
    assert config.model_dir == str(tmp_path) and config.tf_random_seed == 4
    other = config.replace(tf_random_seed=5)
    assert type(other) is learn.RunConfig and other.tf_random_seed == 5
    # uid ignores what does not change the run by default
    assert config.uid() == other.uid() and config.uid([]) != other.uid([])
    est = tf.estimator.Estimator(lambda features, labels, mode: None, config=config)
    assert est.config.model_dir == str(tmp_path)


def test_run_config_model_dir_from_tf_config(monkeypatch, tmp_path):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"model_dir": str(tmp_path)}))
    assert learn.RunConfig().model_dir == str(tmp_path)
    with pytest.raises(ValueError, match="must have the same value as the model_dir in "
                                         "TF_CONFIG"):
        learn.RunConfig(model_dir=str(tmp_path / "other"))


def test_run_config_refuses_remote_master():
    with pytest.raises(tf.errors.UnimplementedError, match="master='grpc://host:2222'"):
        learn.RunConfig(master="grpc://host:2222")
    with pytest.raises(tf.errors.UnimplementedError, match="evaluation_master"):
        learn.RunConfig(evaluation_master="grpc://host:2223")


def test_namespace_names_what_it_provides():
    assert sorted(dir(learn)) == ["ModeKeys", "RunConfig", "datasets", "preprocessing"]
    with pytest.raises(AttributeError, match=r"'DNNClassifier'.*tf\.estimator"):
        learn.DNNClassifier  # noqa: B018
    from minitf.contrib.learn.datasets import mnist
    from minitf.contrib.learn.preprocessing import text

    assert learn.datasets.mnist is mnist and learn.preprocessing.text is text
