"""tf.contrib.learn.datasets: MNIST's read_data_sets on small IDX files written here (values,
one_hot, reshape, dtype scaling, validation split, TF's magic-number errors), next_batch
against a numpy re-implementation of TF's epoch/shuffle rule under a fixed seed, the CSV
loaders, iris, and clear errors instead of downloads."""

import gzip
import os

import numpy as np
import pytest

import minitf as tf
from minitf.contrib.learn import datasets
from minitf.contrib.learn.datasets import base, mnist

R = np.random.default_rng(18)
N_TRAIN, N_TEST, ROWS, COLS = 12, 5, 3, 2


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _write_idx(path, magic, dims, payload):
    header = np.array([magic, *dims], dtype=">u4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + payload)


@pytest.fixture
def mnist_dir(tmp_path):
    """Four IDX files; each image's first pixel is its index in the file (unique ids)."""
    raw = {}
    for split, n in (("train", N_TRAIN), ("t10k", N_TEST)):
        images = R.integers(0, 256, size=(n, ROWS, COLS), dtype=np.uint8)
        images[:, 0, 0] = np.arange(n)
        labels = R.integers(0, 10, size=n, dtype=np.uint8)
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", 2051, (n, ROWS, COLS),
                   images.tobytes())
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", 2049, (n,), labels.tobytes())
        raw[split] = images, labels
    return tmp_path, raw


def test_namespace():
    learn = tf.contrib.learn
    assert learn.datasets.mnist.read_data_sets is mnist.read_data_sets
    assert learn.datasets.base.load_csv_with_header is base.load_csv_with_header
    assert base.Datasets._fields == ("train", "validation", "test")
    assert base.Dataset._fields == ("data", "target")


def test_read_data_sets_values_scaling_and_split(mnist_dir):
    path, raw = mnist_dir
    sets = mnist.read_data_sets(str(path), validation_size=3, seed=1)
    (train_x, train_y), (test_x, test_y) = raw["train"], raw["t10k"]
    flat = train_x.reshape(N_TRAIN, ROWS * COLS)
    for ds, x, y in ((sets.train, flat[3:], train_y[3:]), (sets.validation, flat[:3], train_y[:3]),
                     (sets.test, test_x.reshape(N_TEST, -1), test_y)):
        assert ds.images.dtype == np.float32 and ds.images.shape == x.shape
        np.testing.assert_allclose(ds.images, x / 255.0, rtol=1e-6)
        assert 0.0 <= ds.images.min() and ds.images.max() <= 1.0 + 1e-6
        np.testing.assert_array_equal(ds.labels, y)
        assert ds.labels.dtype == np.uint8 and ds.num_examples == len(y)
        assert ds.epochs_completed == 0


def test_read_data_sets_uint8_no_reshape_one_hot(mnist_dir):
    path, raw = mnist_dir
    sets = mnist.read_data_sets(path, one_hot=True, dtype=tf.uint8, reshape=False,
                                validation_size=0)
    np.testing.assert_array_equal(sets.train.images, raw["train"][0][..., None])
    assert sets.train.images.dtype == np.uint8
    np.testing.assert_array_equal(sets.test.labels, np.eye(10)[raw["t10k"][1]])
    assert sets.validation.num_examples == 0
    np.testing.assert_array_equal(mnist.dense_to_one_hot(np.array([2, 0]), 3),
                                  [[0, 0, 1], [1, 0, 0]])


def _expected_batches(n, batch_size, steps, seed, shuffle=True):
    """TF's rule from its description: shuffle once before the first batch; a batch that runs
    past the end takes the epoch's rest, reshuffles, and continues from the new start."""
    rng = np.random.RandomState(seed)  # the generator np.random.seed(seed) yields
    order = np.arange(n)
    if shuffle:
        order = order[_shuffled(rng, n)]
    pos, epochs, out = 0, 0, []
    for _ in range(steps):
        if pos + batch_size <= n:
            out.append((order[pos:pos + batch_size], epochs))
            pos += batch_size
            continue
        rest = order[pos:]
        epochs += 1
        if shuffle:
            order = order[_shuffled(rng, n)]
        pos = batch_size - len(rest)
        out.append((np.concatenate([rest, order[:pos]]), epochs))
    return out


def _shuffled(rng, n):
    perm = np.arange(n)
    rng.shuffle(perm)
    return perm


@pytest.mark.parametrize("batch_size", [4, 3, 9])
def test_next_batch_matches_tf_order_and_epochs(mnist_dir, batch_size):
    path, raw = mnist_dir
    sets = mnist.read_data_sets(path, dtype=tf.uint8, validation_size=3, seed=42)
    ids = raw["train"][0][3:, 0, 0]  # first pixel = index in the file
    labels = raw["train"][1][3:]
    n = N_TRAIN - 3
    seen = []
    for want_idx, want_epochs in _expected_batches(n, batch_size, 10, seed=42):
        images, batch_labels = sets.train.next_batch(batch_size)
        np.testing.assert_array_equal(images[:, 0], ids[want_idx])
        np.testing.assert_array_equal(batch_labels, labels[want_idx])
        assert sets.train.epochs_completed == want_epochs
        seen.extend(images[:, 0])
    # every example exactly once per completed epoch
    for epoch in range(len(seen) // n):
        assert sorted(seen[epoch * n:(epoch + 1) * n]) == sorted(ids)


def test_next_batch_graph_seed_and_no_shuffle(mnist_dir):
    path, raw = mnist_dir
    ids = raw["train"][0][:, 0, 0]
    tf.set_random_seed(7)  # no op seed: numpy is seeded with the graph seed, as in TF
    sets = mnist.read_data_sets(path, dtype=tf.uint8, validation_size=0)
    for want_idx, _ in _expected_batches(N_TRAIN, 5, 6, seed=7):
        np.testing.assert_array_equal(sets.train.next_batch(5)[0][:, 0], ids[want_idx])
    ordered = mnist.read_data_sets(path, dtype=tf.uint8, validation_size=0).train
    got = [ordered.next_batch(5, shuffle=False)[0][:, 0] for _ in range(4)]
    np.testing.assert_array_equal(np.concatenate(got), np.arange(20) % N_TRAIN)
    assert ordered.epochs_completed == 1


def test_fake_data():
    sets = mnist.read_data_sets("unused", fake_data=True, one_hot=True)
    images, labels = sets.train.next_batch(2, fake_data=True)
    assert np.array(images).shape == (2, 784) and np.all(np.array(images) == 1)
    assert labels == [[1] + [0] * 9] * 2
    assert sets.test.num_examples == 10000


def test_errors(mnist_dir, tmp_path):
    path, _ = mnist_dir
    with pytest.raises(ValueError, match=r"Validation size should be between 0 and 12\. "
                                         r"Received: 13\."):
        mnist.read_data_sets(path, validation_size=13)
    with pytest.raises(TypeError, match="Invalid image dtype.*expected uint8 or float32"):
        mnist.read_data_sets(path, dtype=tf.float64, validation_size=0)
    labels = path / "train-labels-idx1-ubyte.gz"
    with open(labels, "rb") as f, pytest.raises(
            ValueError, match=r"Invalid magic number 2049 in MNIST image file: .*train-labels"):
        mnist.extract_images(f)
    images = path / "train-images-idx3-ubyte.gz"
    with open(images, "rb") as f, pytest.raises(
            ValueError, match=r"Invalid magic number 2051 in MNIST label file: .*train-images"):
        mnist.extract_labels(f)
    _write_idx(images, 2051, (N_TRAIN, ROWS, COLS), b"\x00" * 5)
    with pytest.raises(ValueError, match="truncated"):
        mnist.read_data_sets(path)
    os.remove(path / "t10k-images-idx3-ubyte.gz")
    os.remove(labels)
    with pytest.raises(FileNotFoundError, match=r"train-labels-idx1-ubyte\.gz, "
                                                r"t10k-images-idx3-ubyte\.gz\. .*does not "
                                                r"download.*storage\.googleapis\.com"):
        mnist.read_data_sets(path)
    with pytest.raises(FileNotFoundError, match=r"does not download"):
        base.maybe_download("x.gz", tmp_path, "http://example.invalid/x.gz")
    assert base.maybe_download(images.name, path, "unused") == str(images)


def test_load_csv(tmp_path):
    csv_path = tmp_path / "data.csv"
    csv_path.write_text("3,2,setosa,other\n1.5,2.5,0\n3.0,-1,1\n0.25,4,1\n")
    ds = base.load_csv_with_header(str(csv_path), target_dtype=np.int32,
                                   features_dtype=np.float32)
    np.testing.assert_array_equal(ds.data, np.array([[1.5, 2.5], [3, -1], [0.25, 4]], np.float32))
    np.testing.assert_array_equal(ds.target, [0, 1, 1])
    assert ds.data.dtype == np.float32 and ds.target.dtype == np.int32
    first = base.load_csv_with_header(csv_path, np.float64, np.float64, target_column=0)
    np.testing.assert_array_equal(first.target, [1.5, 3.0, 0.25])
    np.testing.assert_array_equal(first.data, [[2.5, 0], [-1, 1], [4, 1]])
    no_header = tmp_path / "plain.csv"
    no_header.write_text("7,a,b\n8,c,d\n")
    plain = base.load_csv_without_header(no_header, np.int64, str, target_column=0)
    np.testing.assert_array_equal(plain.target, [7, 8])
    np.testing.assert_array_equal(plain.data, [["a", "b"], ["c", "d"]])
    csv_path.write_text("1,2\n1,2,0\n5,6,1\n")
    with pytest.raises(ValueError, match="more rows than the 1 samples"):
        base.load_csv_with_header(csv_path, np.int32, np.float32)
    csv_path.write_text("2,2\n1,2,0\n5,1\n")
    with pytest.raises(ValueError, match="sample 1 has 1 features"):
        base.load_csv_with_header(csv_path, np.int32, np.float32)
    csv_path.write_text("a,b\n")
    with pytest.raises(ValueError, match="n_samples,n_features"):
        base.load_csv_with_header(csv_path, np.int32, np.float32)


def test_iris_is_tf_bundled_copy(tmp_path):
    iris = datasets.load_dataset("iris")
    assert iris.data.shape == (150, 4) and iris.data.dtype == np.float64
    assert iris.target.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(iris.target), [50, 50, 50])
    np.testing.assert_array_equal(iris.data[0], [5.1, 3.5, 1.4, 0.2])
    np.testing.assert_array_equal(iris.data[-1], [5.9, 3.0, 5.1, 1.8])
    sklearn_csv = pytest.importorskip("sklearn.datasets").__path__[0] + "/data/iris.csv"
    ref = base.load_csv_with_header(sklearn_csv, np.int64, np.float64)
    # scikit-learn corrected samples 35 and 38 after TF copied the UCI file
    ref.data[34] = ref.data[37] = [4.9, 3.1, 1.5, 0.1]
    np.testing.assert_array_equal(iris.data, ref.data)
    np.testing.assert_array_equal(iris.target, ref.target)
    np.testing.assert_array_equal(datasets.load_iris(sklearn_csv).target, ref.target)


def test_load_dataset_names_and_no_downloads(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="Name of dataset is not found: cifar"):
        datasets.load_dataset("cifar")
    with pytest.raises(FileNotFoundError, match="data_path"):
        datasets.load_dataset("boston")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="MNIST-data"):
        datasets.load_dataset("mnist")
    fake = datasets.load_dataset("dbpedia", test_with_fake_data=True)
    np.testing.assert_array_equal(fake.train.target, [1, 2, 3])
    assert fake.train.data[1].tolist() == ["Larry Page", "Larry Page is the co-founder of Google."]
    assert fake.validation is None and fake.test.target.tolist() == [2]
    monkeypatch.setenv("TF_EXP_BASE_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="does not download.*dbpedia_csv.tar.gz"):
        datasets.load_dataset("dbpedia")
    csv_dir = tmp_path / "dbpedia_data" / "dbpedia_csv"
    csv_dir.mkdir(parents=True)
    for name in ("train", "test"):
        (csv_dir / f"{name}.csv").write_text(
            "".join(f'{i % 14 + 1},"t{i}","abstract {i}"\n' for i in range(2001)))
    small = datasets.load_dataset("dbpedia")  # every 1000th row
    np.testing.assert_array_equal(small.train.target, [1, 1000 % 14 + 1, 2000 % 14 + 1])
    assert small.test.data[2].tolist() == ["t2000", "abstract 2000"]
    assert (csv_dir / "train_small.csv").exists()


def test_split_into_train_and_test():
    ds = base.Dataset(data=np.arange(20).reshape(10, 2), target=np.arange(10))
    train, test = base.split_into_train_and_test(ds, test_ratio=0.3)
    np.testing.assert_array_equal(train.target, np.arange(7))
    np.testing.assert_array_equal(test.data, np.arange(14, 20).reshape(3, 2))
    with pytest.raises(ValueError, match="out of bounds"):
        base.split_into_train_and_test(ds, test_ratio=1.5)
