"""``slim.dataset_data_provider`` (TF 1.x contrib.slim): the DataProvider of a slim Dataset,
reading its files with ``parallel_reader.parallel_read`` (shuffled through a
RandomShuffleQueue, or in order through a FIFOQueue) and decoding each record with the
dataset's decoder. The record's key is provided too, as the item ``record_key``."""

from . import data_provider, parallel_reader

__all__ = ["DatasetDataProvider"]


class DatasetDataProvider(data_provider.DataProvider):
    """Provides the items of ``dataset`` one record at a time (``get(['image', 'label'])``),
    read by ``num_readers`` readers (created with ``reader_kwargs``) through a common queue of
    ``common_queue_capacity`` that keeps ``common_queue_min`` records when shuffling. With
    ``num_epochs`` the files are read that many times, then reads fail with OutOfRangeError
    (the epoch counter is a local variable: run ``tf.local_variables_initializer()``)."""

    def __init__(self, dataset, num_readers=1, reader_kwargs=None, shuffle=True,
                 num_epochs=None, common_queue_capacity=256, common_queue_min=128,
                 record_key="record_key", seed=None, scope=None):
        key, data = parallel_reader.parallel_read(
            dataset.data_sources, reader_class=dataset.reader, num_epochs=num_epochs,
            num_readers=num_readers, reader_kwargs=reader_kwargs, shuffle=shuffle,
            capacity=common_queue_capacity, min_after_dequeue=common_queue_min, seed=seed,
            scope=scope)
        items = dataset.decoder.list_items()
        items_to_tensors = dict(zip(items, dataset.decoder.decode(data, items)))
        if record_key in items_to_tensors:
            raise ValueError("The item name used for `record_key` cannot also be used for a "
                             f"dataset item: {record_key}")
        items_to_tensors[record_key] = key
        super().__init__(items_to_tensors=items_to_tensors, num_samples=dataset.num_samples)
