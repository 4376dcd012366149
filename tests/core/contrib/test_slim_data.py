"""slim's data pipeline as research/slim's train/eval_image_classifier.py and datasets/*.py use
it: a slim.dataset.Dataset of TFRecord files of tf.train.Examples (PNG and raw images, labels,
boxes) read by DatasetDataProvider (parallel_reader), batched with tf.train.batch and
slim.prefetch_queue, run under slim.queues.QueueRunners; the records read are checked against
the numpy arrays written."""

import os

import numpy as np
import pytest

import minitf as tf

slim = tf.contrib.slim
tfd = slim.tfexample_decoder

H, W = 4, 6
PER_FILE = 6
FILES = 2
N = PER_FILE * FILES
# blocked queue ops fail (DeadlineExceededError) instead of hanging a broken test
CONFIG = tf.ConfigProto(operation_timeout_in_ms=60000)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        yield


def _feature(kind, values):
    lists = {"bytes": ("bytes_list", tf.train.BytesList), "int": ("int64_list", tf.train.Int64List),
             "float": ("float_list", tf.train.FloatList)}
    field, cls = lists[kind]
    return tf.train.Feature(**{field: cls(value=list(values))})


def _records():
    """(images [N, H, W, 3] uint8, labels [N], boxes: N arrays [k, 4])."""
    rng = np.random.RandomState(7)
    images = rng.randint(0, 256, (N, H, W, 3)).astype(np.uint8)
    labels = rng.permutation(100)[:N] + 3
    boxes = [rng.rand(i % 3 + 1, 4).astype(np.float32) for i in range(N)]
    return images, labels, boxes


@pytest.fixture
def data_dir(tmp_path):
    """FILES TFRecord files "train-0000i-of-0000F" of PER_FILE Examples each (PNG-encoded
    images but every third raw), in record order 0..N-1."""
    images, labels, boxes = _records()
    with tf.Graph().as_default(), tf.Session() as sess:
        image = tf.placeholder(tf.uint8, [H, W, 3])
        png = tf.image.encode_png(image)
        encoded = [sess.run(png, {image: im}) for im in images]
    for f in range(FILES):
        path = tmp_path / f"train-{f:05d}-of-{FILES:05d}"
        with tf.python_io.TFRecordWriter(str(path)) as writer:
            for i in range(f * PER_FILE, (f + 1) * PER_FILE):
                raw = i % 3 == 0
                feature = {
                    "image/encoded": _feature("bytes", [images[i].tobytes() if raw
                                                        else encoded[i]]),
                    "image/format": _feature("bytes", [b"raw" if raw else b"png"]),
                    "image/class/label": _feature("int", [labels[i]])}
                for j, side in enumerate(["ymin", "xmin", "ymax", "xmax"]):
                    feature[f"image/object/bbox/{side}"] = _feature("float", boxes[i][:, j])
                example = tf.train.Example(features=tf.train.Features(feature=feature))
                writer.write(example.SerializeToString())
    return tmp_path


def _dataset(data_dir, pattern="train-*"):
    """The Dataset as research/slim's datasets/flowers.py builds it."""
    keys_to_features = {
        "image/encoded": tf.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.FixedLenFeature((), tf.string, default_value="png"),
        "image/class/label": tf.FixedLenFeature(
            [], tf.int64, default_value=tf.zeros([], dtype=tf.int64)),
        **{f"image/object/bbox/{k}": tf.VarLenFeature(tf.float32)
           for k in ["ymin", "xmin", "ymax", "xmax"]}}
    items_to_handlers = {"image": tfd.Image(shape=[H, W, 3]),
                         "label": tfd.Tensor("image/class/label"),
                         "object/bbox": tfd.BoundingBox(prefix="image/object/bbox/")}
    decoder = tfd.TFExampleDecoder(keys_to_features, items_to_handlers)
    return slim.dataset.Dataset(
        data_sources=os.path.join(str(data_dir), pattern), reader=tf.TFRecordReader,
        decoder=decoder, num_samples=N, items_to_descriptions={"image": "A color image."},
        num_classes=103, labels_to_names={3: "daisy"})


def test_dataset_fields(data_dir):
    dataset = _dataset(data_dir)
    assert dataset.num_samples == N and dataset.num_classes == 103
    assert dataset.labels_to_names == {3: "daisy"} and dataset.reader is tf.TFRecordReader
    assert dataset.items_to_descriptions == {"image": "A color image."}


def test_provider_in_order_through_batch_and_prefetch_queue(data_dir):
    images, labels, boxes = _records()
    provider = slim.dataset_data_provider.DatasetDataProvider(
        _dataset(data_dir), num_readers=1, shuffle=False, common_queue_capacity=8,
        common_queue_min=4)
    assert sorted(provider.list_items()) == ["image", "label", "object/bbox", "record_key"]
    assert provider.num_samples() == N
    image, label, bbox, key = provider.get(["image", "label", "object/bbox", "record_key"])
    assert image.shape.as_list() == [H, W, 3] and image.dtype == tf.uint8
    assert label.dtype == tf.int64 and bbox.shape.as_list() == [None, 4]
    batch = tf.train.batch([image, label], batch_size=4, num_threads=1, capacity=8)
    batch_queue = slim.prefetch_queue.prefetch_queue(batch, capacity=2)
    got_images, got_labels = batch_queue.dequeue()
    with tf.Session(config=CONFIG) as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        with slim.queues.QueueRunners(sess):
            # the files cycle: 1.5 epochs come back in record order
            for step in range(N * 3 // 2 // 4):
                batch_images, batch_labels = sess.run([got_images, got_labels])
                order = [(step * 4 + j) % N for j in range(4)]
                np.testing.assert_array_equal(batch_images, images[order])
                np.testing.assert_array_equal(batch_labels, labels[order])


def test_provider_boxes_and_record_keys(data_dir):
    _, labels, boxes = _records()
    provider = slim.dataset_data_provider.DatasetDataProvider(
        _dataset(data_dir), shuffle=False, num_epochs=1)
    label, bbox, key = provider.get(["label", "object/bbox", "record_key"])
    with tf.Session(config=CONFIG) as sess:
        sess.run(tf.local_variables_initializer())
        with slim.queues.QueueRunners(sess):
            seen = [sess.run([label, bbox, key]) for _ in range(N)]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(label)
    for i, (got_label, got_boxes, got_key) in enumerate(seen):
        assert got_label == labels[i]
        np.testing.assert_array_equal(got_boxes, boxes[i])
        file_name = got_key.decode().rsplit(":", 1)[0]
        assert os.path.basename(file_name) == f"train-{i // PER_FILE:05d}-of-{FILES:05d}"
    first_offsets = [int(k.decode().rsplit(":", 1)[1]) for _, _, k in seen[:PER_FILE]]
    assert first_offsets[0] == 0 and first_offsets == sorted(first_offsets)


@pytest.mark.parametrize("num_readers", [1, 3])
def test_shuffled_one_epoch_yields_each_record_once(data_dir, num_readers):
    images, labels, _ = _records()
    provider = slim.dataset_data_provider.DatasetDataProvider(
        _dataset(data_dir), num_readers=num_readers, shuffle=True, num_epochs=1,
        common_queue_capacity=10, common_queue_min=5, seed=11)
    image, label = provider.get(["image", "label"])
    got = []
    with tf.Session(config=CONFIG) as sess:
        sess.run(tf.local_variables_initializer())
        with slim.queues.QueueRunners(sess):
            for _ in range(N + 5):  # bounded: OutOfRangeError after N
                try:
                    got.append(sess.run([image, label]))
                except tf.errors.OutOfRangeError:
                    break
    assert sorted(int(lbl) for _, lbl in got) == sorted(labels.tolist())
    by_label = {int(lbl): i for i, lbl in enumerate(labels)}
    for im, lbl in got:
        np.testing.assert_array_equal(im, images[by_label[int(lbl)]])
    order = [by_label[int(lbl)] for _, lbl in got]
    assert order != sorted(order)  # shuffled (seeded: 12 records in order by chance ~1e-9)


def test_provider_errors_name_what_is_wrong(data_dir):
    provider = slim.dataset_data_provider.DatasetDataProvider(_dataset(data_dir), shuffle=False)
    with pytest.raises(ValueError, match=r"Item \[images\] is invalid. Valid entries include: "
                                         r"\['image', 'label', 'object/bbox', 'record_key'\]"):
        provider.get(["images"])
    with pytest.raises(ValueError, match="items must be a list or tuple, got str"):
        provider.get("image")
    with pytest.raises(ValueError, match="`record_key` cannot also be used for a dataset "
                                         "item: label"):
        slim.dataset_data_provider.DatasetDataProvider(_dataset(data_dir), record_key="label")
    with pytest.raises(ValueError, match="No data files found in .*nothing-\\*"):
        slim.dataset_data_provider.DatasetDataProvider(_dataset(data_dir, "nothing-*"))
    dataset = _dataset(data_dir)
    dataset.decoder = tfd.TFExampleDecoder({"image/encoded": tf.FixedLenFeature((), tf.string)},
                                           {"image": tfd.Image()})
    with pytest.raises(KeyError, match="Item 'image' .*needs feature 'image/format'"):
        slim.dataset_data_provider.DatasetDataProvider(dataset)


def test_parallel_reader_reads_every_record_and_counts(data_dir):
    files = slim.parallel_reader.get_data_files(str(data_dir / "train-*"))
    assert [os.path.basename(f) for f in sorted(files)] == \
        [f"train-{i:05d}-of-{FILES:05d}" for i in range(FILES)]
    filename_queue = tf.train.string_input_producer(sorted(files), num_epochs=1, shuffle=False)
    common_queue = tf.FIFOQueue(capacity=4, dtypes=[tf.string, tf.string])
    reader = slim.parallel_reader.ParallelReader(tf.TFRecordReader, common_queue,
                                                 num_readers=2)
    assert reader.num_readers == 2 and reader.common_queue is common_queue
    key, value = reader.read(filename_queue)
    produced = reader.num_records_produced()
    completed = reader.num_work_units_completed()
    keys = []
    with tf.Session(config=CONFIG) as sess:
        sess.run(tf.local_variables_initializer())
        with slim.queues.QueueRunners(sess):
            for _ in range(N + 2):
                try:
                    keys.append(sess.run(key))
                except tf.errors.OutOfRangeError:
                    break
            assert sess.run([produced, completed]) == [N, FILES]
    assert len(keys) == N and len(set(keys)) == N
    for f in range(FILES):  # each file is read in its order by one reader
        offsets = [int(k.rsplit(b":", 1)[1]) for k in keys if b"train-%05d" % f in k]
        assert offsets == sorted(offsets) and len(offsets) == PER_FILE


def test_parallel_reader_read_up_to_and_dtypes_check(data_dir):
    with pytest.raises(TypeError, match=r"common_queue.dtypes must be \[tf.string, tf.string\]"):
        slim.parallel_reader.ParallelReader(
            tf.TFRecordReader, tf.FIFOQueue(4, [tf.string, tf.int32]))
    filename_queue = tf.train.string_input_producer([str(data_dir / "train-00000-of-00002")],
                                                    num_epochs=1, shuffle=False)
    reader = slim.parallel_reader.ParallelReader(
        tf.TFRecordReader,
        tf.FIFOQueue(capacity=8, dtypes=[tf.string, tf.string], shapes=[[], []]),
        num_readers=1)
    keys, values = reader.read_up_to(filename_queue, 4)
    with tf.Session(config=CONFIG) as sess:
        sess.run(tf.local_variables_initializer())
        with slim.queues.QueueRunners(sess):
            sizes = []
            for _ in range(4):
                try:
                    sizes.append(len(sess.run(keys)))
                except tf.errors.OutOfRangeError:
                    break
    assert sizes == [4, PER_FILE - 4]


def test_single_pass_read_in_order_then_out_of_range(data_dir):
    _, labels, _ = _records()
    files = [str(data_dir / f"train-{i:05d}-of-{FILES:05d}") for i in range(FILES)]
    key, value = slim.parallel_reader.single_pass_read(files, tf.TFRecordReader)
    label = tf.parse_single_example(
        value, {"image/class/label": tf.FixedLenFeature([], tf.int64)})["image/class/label"]
    assert key.op.name.startswith("single_pass_read/")
    got = []
    with tf.Session(config=CONFIG) as sess:
        sess.run(tf.local_variables_initializer())
        with slim.queues.QueueRunners(sess):
            for _ in range(N + 2):
                try:
                    got.append(int(sess.run(label)))
                except tf.errors.OutOfRangeError:
                    break
    assert got == labels.tolist()


def test_get_data_files_lists_and_errors(data_dir):
    one = str(data_dir / "train-00001-of-00002")
    files = slim.parallel_reader.get_data_files([one, str(data_dir / "train-0000[0]*")])
    assert files[0] == one and os.path.basename(files[1]) == "train-00000-of-00002"
    assert slim.parallel_reader.get_data_files("no/such/file") == ["no/such/file"]
    with pytest.raises(ValueError, match=r"No data files found in .*\?x"):
        slim.parallel_reader.get_data_files(str(data_dir / "?x"))
    with pytest.raises(TypeError, match="data_sources must be a file name"):
        slim.parallel_reader.get_data_files(3)


def test_parallel_read_names_and_summary(data_dir):
    key, value = slim.parallel_reader.parallel_read(str(data_dir / "train-*"),
                                                    tf.TFRecordReader, capacity=16,
                                                    min_after_dequeue=4)
    assert value.op.name.startswith("parallel_read/common_queue")
    summaries = [t.op.name for t in tf.get_collection(tf.GraphKeys.SUMMARIES)]
    assert "parallel_read/fraction_of_16_full" in summaries
    runners = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
    assert len(runners) == 2 and len(runners[1].enqueue_ops) == 4  # filenames, 4 readers


def test_prefetch_queue_dict_dynamic_pad_and_threads():
    counter = tf.train.range_input_producer(100, shuffle=False).dequeue()
    tensors = {"n": counter, "v": tf.range(tf.mod(counter, 3) + 1)}
    queue = slim.prefetch_queue.prefetch_queue(tensors, capacity=3, num_threads=2,
                                               dynamic_pad=True, name="pf")
    assert queue.names == ["n", "v"]
    runner = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)[-1]
    assert len(runner.enqueue_ops) == 2 and runner.queue is queue
    out = queue.dequeue()
    batched = queue.dequeue_many(2)
    with tf.Session(config=CONFIG) as sess:
        with slim.queues.QueueRunners(sess):
            seen = [sess.run(out) for _ in range(4)]
            pair = sess.run(batched)
    for item in seen:
        np.testing.assert_array_equal(item["v"], np.arange(item["n"] % 3 + 1))
    lengths = [n % 3 + 1 for n in pair["n"]]
    assert pair["v"].shape == (2, max(lengths))  # padded to the longer
    for row, n in zip(pair["v"], lengths):
        np.testing.assert_array_equal(row[:n], np.arange(n))
        assert not row[n:].any()


def test_queue_runners_context():
    queue = tf.FIFOQueue(4, [tf.int32])
    tf.train.add_queue_runner(tf.train.QueueRunner(queue, [queue.enqueue(7)]))
    item = queue.dequeue()
    with tf.Session(config=CONFIG) as sess:
        with slim.queues.QueueRunners(sess):
            assert sess.run(item) == 7
            with pytest.raises(slim.queues.NestedQueueRunnerError,
                               match="QueueRunners cannot be nested"):
                with slim.queues.QueueRunners(sess):
                    pass
        with slim.queues.QueueRunners(sess):  # released on exit: usable again
            assert sess.run(item) == 7


def test_train_and_eval_image_classifier_flow(data_dir, tmp_path):
    """research/slim's train_image_classifier.py / eval_image_classifier.py input path:
    provider -> tf.train.batch -> prefetch_queue -> a slim model, trained by slim.learning
    (whose Supervisor starts the queue runners), then evaluated by slim.evaluation on the
    records in order; the accuracy is the model's on those records, computed with numpy, and
    high: the shuffled training batches kept each image with its label."""
    images, labels, _ = _records()
    num_classes = 103
    logdir = str(tmp_path / "train")
    with tf.Graph().as_default():
        provider = slim.dataset_data_provider.DatasetDataProvider(
            _dataset(data_dir), num_readers=2, common_queue_capacity=20, common_queue_min=10)
        image, label = provider.get(["image", "label"])
        image = tf.cast(image, tf.float32) / 255.0
        batch = tf.train.batch([image, label], batch_size=4, num_threads=2, capacity=20)
        batch_images, batch_labels = slim.prefetch_queue.prefetch_queue(batch).dequeue()
        logits = slim.fully_connected(slim.flatten(batch_images), num_classes,
                                      activation_fn=None, scope="logits")
        slim.losses.softmax_cross_entropy(logits, slim.one_hot_encoding(batch_labels,
                                                                         num_classes))
        train_op = slim.learning.create_train_op(slim.losses.get_total_loss(),
                                                 tf.train.GradientDescentOptimizer(1.0))
        loss = slim.learning.train(train_op, logdir, number_of_steps=30, save_interval_secs=0,
                                   log_every_n_steps=0)
        assert np.isfinite(loss)
    with tf.Graph().as_default():
        provider = slim.dataset_data_provider.DatasetDataProvider(
            _dataset(data_dir), shuffle=False, common_queue_capacity=8, common_queue_min=4)
        image, label = provider.get(["image", "label"])
        image = tf.cast(image, tf.float32) / 255.0
        batch_images, batch_labels = tf.train.batch([image, label], batch_size=N // 2,
                                                    capacity=N)
        logits = slim.fully_connected(slim.flatten(batch_images), num_classes,
                                      activation_fn=None, scope="logits")
        accuracy, update = slim.metrics.streaming_accuracy(tf.argmax(logits, 1), batch_labels)
        weights = tf.trainable_variables()
        got, (kernel, bias) = slim.evaluation.evaluate_once(
            "", tf.train.latest_checkpoint(logdir), str(tmp_path / "eval"), num_evals=2,
            eval_op=update, final_op=[accuracy, weights])
    predicted = np.argmax(images.reshape(N, -1) / 255.0 @ kernel + bias, axis=1)
    assert got == pytest.approx(np.mean(predicted == labels))
    assert got > 0.5  # 30 steps over the shuffled records fit their (image, label) pairs
