"""tf.gfile, tf.logging, tf.GraphDef, tf.ConfigProto and tf.app/tf.flags: the TF1 recipes that
use them run unchanged."""

import logging

import os

import numpy as np
import pytest

import minitf as tf


def test_the_frozen_graph_recipe(tmp_path):
    """TF1's usual way to load a .pb: GFile, GraphDef.ParseFromString, import_graph_def."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        tf.identity(x * 2.0 + 1.0, name="y")
    path = tmp_path / "frozen.pb"
    with tf.gfile.GFile(str(path), "wb") as f:
        f.write(g.as_graph_def().SerializeToString())
    with tf.gfile.GFile(str(path), "rb") as f:
        graph_def = tf.GraphDef()
        graph_def.ParseFromString(f.read())
    with tf.Graph().as_default() as loaded:
        tf.import_graph_def(graph_def, name="")
        with tf.Session(graph=loaded) as sess:
            out = sess.run("y:0", {"x:0": np.array([[1.0, 2.0]], np.float32)})
    np.testing.assert_array_equal(out, [[3.0, 5.0]])


def test_io_gfile_lowercase_names(tmp_path):
    g = tf.io.gfile
    d = tmp_path / "x" / "y"
    g.makedirs(str(d))
    assert g.isdir(str(d)) and g.exists(str(d))
    with g.GFile(str(d / "f.txt"), "w") as f:
        f.write("hi")
    g.copy(str(d / "f.txt"), str(d / "g.txt"))
    g.rename(str(d / "g.txt"), str(d / "h.txt"))
    assert g.listdir(str(d)) == ["f.txt", "h.txt"] == [os.path.basename(p) for p in
                                                     g.glob(str(d / "*.txt"))]
    g.remove(str(d / "h.txt"))
    assert [files for _, _, files in g.walk(str(tmp_path / "x"))] == [[], ["f.txt"]]
    g.rmtree(str(tmp_path / "x"))
    assert not g.exists(str(tmp_path / "x"))


def test_gfile_file_system_calls(tmp_path):
    d = tmp_path / "a" / "b"
    tf.gfile.MakeDirs(str(d))
    assert tf.gfile.IsDirectory(str(d)) and tf.gfile.Exists(str(d))
    with tf.gfile.Open(str(d / "f.txt"), "w") as f:
        f.write("hi")
    tf.gfile.Copy(str(d / "f.txt"), str(d / "g.txt"))
    assert tf.gfile.ListDirectory(str(d)) == ["f.txt", "g.txt"]
    assert tf.gfile.Glob(str(d / "*.txt")) == [str(d / "f.txt"), str(d / "g.txt")]
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.Rename(str(d / "f.txt"), str(d / "g.txt"))
    tf.gfile.Rename(str(d / "f.txt"), str(d / "g.txt"), overwrite=True)
    tf.gfile.Remove(str(d / "g.txt"))
    assert tf.gfile.ListDirectory(str(d)) == []
    tf.gfile.DeleteRecursively(str(tmp_path / "a"))
    assert not tf.gfile.Exists(str(tmp_path / "a"))
    for call in (lambda: tf.gfile.GFile(str(tmp_path / "missing"), "rb"),
                 lambda: tf.gfile.Remove(str(tmp_path / "missing")),
                 lambda: tf.gfile.ListDirectory(str(tmp_path / "missing"))):
        with pytest.raises(tf.errors.NotFoundError):
            call()


def test_logging_levels_and_calls(caplog):
    old = tf.logging.get_verbosity()
    try:
        tf.logging.set_verbosity(tf.logging.WARN)
        assert tf.logging.get_verbosity() == logging.WARNING
        with caplog.at_level(logging.DEBUG, logger="minitf"):
            tf.logging.set_verbosity(tf.logging.INFO)
            tf.logging.info("step %d", 3)
            tf.logging.debug("hidden")
            tf.logging.warn("careful")
        assert [r.getMessage() for r in caplog.records] == ["step 3", "careful"]
    finally:
        tf.logging.set_verbosity(old)


def test_unknown_attributes_still_raise():
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        tf.NoSuchThing  # noqa: B018


def test_session_config_and_run_options_are_accepted():
    """TF1 scripts configure their Session and runs; minitf (CPU, numpy) takes the options
    and runs as usual. The messages are TF's (wire-compatible), so they serialise as TF's do."""
    config = tf.ConfigProto(allow_soft_placement=True, log_device_placement=False,
                            intra_op_parallelism_threads=2, device_count={"GPU": 0})
    config.gpu_options.allow_growth = True
    config.gpu_options.per_process_gpu_memory_fraction = 0.5
    x = tf.placeholder(tf.float32, [2])
    with tf.Session(config=config) as sess:
        options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE, timeout_in_ms=1000)
        out = sess.run(x * 2.0, {x: [1.0, 2.0]}, options=options,
                       run_metadata=tf.RunMetadata())
    np.testing.assert_array_equal(out, [2.0, 4.0])
    again = tf.ConfigProto.FromString(config.SerializeToString())
    assert again.gpu_options.allow_growth and again.device_count["GPU"] == 0
    assert tf.compat.v1.ConfigProto is tf.ConfigProto


@pytest.fixture
def fresh_flags(monkeypatch):
    """A flag registry of its own (the module's FLAGS is process-wide, as in TF)."""
    from minitf import flags as flags_module
    monkeypatch.setattr(flags_module, "FLAGS", flags_module._Flags())
    return flags_module


def test_app_run_parses_flags_and_passes_the_rest(fresh_flags):
    tf.app.flags.DEFINE_integer("epochs", 10, "passes over the data")
    tf.flags.DEFINE_boolean("fast", False, "fewer steps")
    tf.flags.DEFINE_string("name", "x", "a name")
    tf.flags.DEFINE_float("lr", 0.1, "learning rate")
    tf.flags.DEFINE_list("layers", ["8"], "widths")
    seen = {}

    def main(argv):
        flags = fresh_flags.FLAGS
        seen.update(epochs=flags.epochs, fast=flags.fast, name=flags.name, lr=flags.lr,
                    layers=flags.layers, argv=argv)
        return 0
    with pytest.raises(SystemExit) as exit_:
        tf.app.run(main, ["prog", "--epochs", "3", "--fast", "data.csv", "--lr=0.5",
                          "--layers=4,2"])
    assert exit_.value.code == 0
    assert seen == {"epochs": 3, "fast": True, "name": "x", "lr": 0.5, "layers": ["4", "2"],
                    "argv": ["prog", "data.csv"]}
    for argv, fast in ((["p", "--nofast"], False), (["p", "--fast=false"], False),
                       (["p", "--fast=true"], True), (["p"], False)):
        fresh_flags.FLAGS.unparse_flags()  # a parse sets only the flags it is given
        fresh_flags.FLAGS._parse(argv)
        assert fresh_flags.FLAGS.fast is fast, argv


def test_app_run_also_parses_flags_defined_through_absl(fresh_flags, monkeypatch):
    """TF 1.x's tf.flags is absl's registry: BERT's tokenization.py defines a flag with
    absl.flags and run_classifier.py starts with tf.app.run, which must parse both."""
    absl_flags = pytest.importorskip("absl.flags")
    monkeypatch.setattr(absl_flags, "FLAGS", absl_flags.FlagValues())
    absl_flags.DEFINE_bool("preserve_unused_tokens", False, "", flag_values=absl_flags.FLAGS)
    tf.flags.DEFINE_string("task_name", None, "")
    seen = {}

    def main(argv):
        seen.update(task=fresh_flags.FLAGS.task_name, argv=argv,
                    preserve=absl_flags.FLAGS.preserve_unused_tokens)
        return 0

    with pytest.raises(SystemExit):
        tf.app.run(main, ["p", "--task_name=cola", "--preserve_unused_tokens", "x", "--other"])
    assert seen == {"task": "cola", "preserve": True, "argv": ["p", "x", "--other"]}


def test_bad_flag_values_and_unknown_flags(fresh_flags, capsys):
    tf.flags.DEFINE_integer("epochs", 10, "passes")
    tf.flags.DEFINE_boolean("fast", False, "fewer steps")
    for argv, message in ((["p", "--epochs", "x"], "flag --epochs=x: invalid literal for int"),
                          (["p", "--fast=maybe"], "flag --fast=maybe: Non-boolean argument")):
        with pytest.raises(tf.flags.IllegalFlagValueError, match=message):
            fresh_flags.FLAGS._parse(argv)
        with pytest.raises(SystemExit) as exit_:
            tf.app.run(lambda argv: 0, argv)
        assert exit_.value.code == 1
        assert "FATAL Flags parsing error: " + message in capsys.readouterr().err
    with pytest.raises(AttributeError, match="no flag --epoch is defined"):
        fresh_flags.FLAGS.epoch  # noqa: B018
    with pytest.raises(tf.flags.DuplicateFlagError, match="defined twice"):
        tf.flags.DEFINE_integer("epochs", 1, "again")
    # app.run leaves flags nobody defined to main, and "--" with what follows it (absl's
    # known_only); FLAGS(argv) refuses unknown flags and drops the "--"
    assert fresh_flags.FLAGS._parse(["p", "--other=1", "x"]) == ["p", "--other=1", "x"]
    assert fresh_flags.FLAGS._parse(["p", "--epochs=3", "--", "--s=x", "y"]) == [
        "p", "--", "--s=x", "y"]
    assert fresh_flags.FLAGS(["p", "--epochs=3", "--", "--s=x"]) == ["p", "--s=x"]
    with pytest.raises(tf.flags.UnrecognizedFlagError, match="Unknown command line flag 'oth"):
        fresh_flags.FLAGS(["p", "--other=1"])


def test_required_enum_multi_bounds_and_validators(fresh_flags, capsys):
    f = tf.flags
    f.DEFINE_string("bert_config_file", None, "config")
    f.mark_flag_as_required("bert_config_file")
    f.DEFINE_enum("mode", "train", ["train", "eval"], "what to run")
    f.DEFINE_multi_string("tag", None, "tags")
    f.DEFINE_multi_integer("size", [1], "sizes", lower_bound=1)
    f.DEFINE_integer("epochs", 3, "passes", lower_bound=0)
    f.DEFINE_float("lr", 0.1, "rate", lower_bound=0.0, upper_bound=1.0)
    f.DEFINE_string("a", None, "")
    f.DEFINE_string("b", None, "")
    f.mark_flags_as_mutual_exclusive(["a", "b"])

    @f.validator("epochs", message="epochs must be even")
    def _even(value):
        return value % 2 == 0 or value == 3

    flags = fresh_flags.FLAGS
    rest = flags(["p", "--bert_config_file=c.json", "--mode", "eval", "--tag=x", "--tag", "y",
                  "--size=2", "--size=0x10", "pos"])
    assert rest == ["p", "pos"]
    assert flags.flag_values_dict() == {
        "bert_config_file": "c.json", "mode": "eval", "tag": ["x", "y"], "size": [2, 16],
        "epochs": 3, "lr": 0.1, "a": None, "b": None}
    assert flags["tag"].present == 2 and flags["epochs"].present == 0
    bad = {("--mode=test",): "flag --mode=test: value should be one of <train|eval>",
           ("--epochs=-1",): "flag --epochs=-1: -1 is not a non-negative integer",
           ("--lr=2",): r"flag --lr=2: 2.0 is not a number in the range \[0.0, 1.0\]",
           ("--size=0",): "flag --size=0: 0 is not a positive integer",
           ("--epochs=5",): "flag --epochs=5: epochs must be even",
           ("--a=1", "--b=2"): r"At most one of \(a, b\) must have a value other than None"}
    for args, message in bad.items():
        with pytest.raises(tf.flags.IllegalFlagValueError, match=message):
            flags(["p", "--bert_config_file=c", *args])
    flags.unparse_flags()
    with pytest.raises(SystemExit) as exit_:
        tf.app.run(lambda argv: 0, ["p"])
    assert exit_.value.code == 1
    assert ("flag --bert_config_file=None: Flag --bert_config_file must have a value other "
            "than None.") in capsys.readouterr().err
    flags(["p", "--bert_config_file=c"])
    with pytest.raises(tf.flags.IllegalFlagValueError, match="must have a value other than"):
        flags.bert_config_file = None  # assignment runs the flag's validators too
    with pytest.raises(tf.flags.IllegalFlagValueError, match="flag --x=5: 5 is not an integer"):
        f.DEFINE_integer("x", 5, "", lower_bound=0, upper_bound=4)


def test_flags_match_absl():
    """tf.flags in TF 1.x is absl's: the same definitions parse an argv to the same values."""
    absl_flags = pytest.importorskip("absl.flags")
    from minitf import flags as ours
    argv = ["p", "--n=0x1f", "--names=a, b", "--m=x", "--m=y", "--e=B", "--nob", "--f=1e-3",
            "rest", "--", "--n=2"]
    results = []
    for lib in (absl_flags, ours):
        fv = lib.FlagValues()
        lib.DEFINE_integer("n", 1, "", flag_values=fv)
        lib.DEFINE_list("names", [], "", flag_values=fv)
        lib.DEFINE_multi_string("m", "z", "", flag_values=fv)
        lib.DEFINE_enum("e", "A", ["A", "B"], "", flag_values=fv)
        lib.DEFINE_boolean("b", True, "", flag_values=fv)
        lib.DEFINE_float("f", 0.0, "", flag_values=fv)
        rest = fv(argv)
        values = {k: getattr(fv, k) for k in ("n", "names", "m", "e", "b", "f")}
        errors = []
        for bad in (["p", "--e=C"], ["p", "--n=x"], ["p", "--b=maybe"], ["p", "--zz=1"]):
            try:
                fv(bad)
                errors.append(None)
            except lib.Error as e:
                errors.append(type(e).__name__)
        results.append((rest, values, errors))
    assert results[1] == results[0]


def test_manip_namespace_is_the_root_functions():
    """TF 1.x's tf.manip names the same functions as the root."""
    for name in ("batch_to_space_nd", "gather_nd", "reshape", "reverse", "roll",
                 "scatter_nd", "space_to_batch_nd", "tile"):
        assert getattr(tf.manip, name) is getattr(tf, name), name
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(tf.manip.roll([1, 2, 3], 1, 0))
    assert got.tolist() == [3, 1, 2]


_READ_A_DIRECTORY = {  # the readers given a directory where a file is expected
    "GFile.read": lambda tf, d: tf.gfile.GFile(d).read(),
    "GFile.read rb": lambda tf, d: tf.gfile.GFile(d, "rb").read(),
    "GFile.write": lambda tf, d: tf.gfile.GFile(d, "w").write("x"),
    "import_meta_graph": lambda tf, d: tf.train.import_meta_graph(d),
    "summary_iterator": lambda tf, d: list(tf.train.summary_iterator(d)),
    "tf_record_iterator": lambda tf, d: list(tf.python_io.tf_record_iterator(d)),
    "tf_record_iterator GZIP": lambda tf, d: list(tf.python_io.tf_record_iterator(
        d, tf.python_io.TFRecordOptions("GZIP"))),
    "TFRecordDataset": lambda tf, d: tf.Session().run(tf.data.make_one_shot_iterator(
        tf.data.TFRecordDataset(d)).get_next()),
}


def _directory_errors(lib, directory):
    """{case: (error class name, message's first line)} for each reader given ``directory``."""
    out = {}
    for case, read in _READ_A_DIRECTORY.items():
        with lib.Graph().as_default():
            try:
                read(lib, directory)
                out[case] = ("no error", "")
            except Exception as e:  # noqa: BLE001 - the class is what is compared
                out[case] = (type(e).__name__, str(e).splitlines()[0])
    return out


def test_a_directory_where_a_file_is_expected_fails_precondition(tmp_path):
    """TF's FailedPreconditionError "<path>; Is a directory" (a raw IsADirectoryError from
    GFile, import_meta_graph, summary_iterator and tf_record_iterator; InvalidArgumentError
    wrapping it from TFRecordDataset)."""
    got = _directory_errors(tf, str(tmp_path))
    for case, (name, message) in got.items():
        assert (name, message.split("\t")[0].strip()) == \
            ("FailedPreconditionError", f"{tmp_path}; Is a directory"), case


_DIRECTORY_ERRORS_IN_TF = r"""
import json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
sys.path.insert(0, sys.argv[1])
from tests.core.test_tf1_utilities import _directory_errors
print(json.dumps({k: v[0] for k, v in _directory_errors(tf, sys.argv[2]).items()}))
"""


def test_a_directory_where_a_file_is_expected_vs_tf(tmp_path):
    from .legacy_tf import tf_side_json

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    want = tf_side_json(_DIRECTORY_ERRORS_IN_TF, root, tmp_path, legacy_keras=False)
    assert {k: v[0] for k, v in _directory_errors(tf, str(tmp_path)).items()} == want
