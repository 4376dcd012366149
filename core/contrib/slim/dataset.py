"""``slim.dataset`` (TF 1.x contrib.slim): a Dataset is the description of a data set its
providers read: the files, the reader class for them, the decoder of their records, the number
of samples, what each item is, and any other fields (``num_classes``, ``labels_to_names``...)
given as keywords, all plain attributes."""

__all__ = ["Dataset"]


class Dataset:
    """``data_sources`` (files or patterns), ``reader`` (a ReaderBase class such as
    TFRecordReader), ``decoder`` (a DataDecoder), ``num_samples``, ``items_to_descriptions``
    and any keyword fields, as attributes."""

    def __init__(self, data_sources, reader, decoder, num_samples, items_to_descriptions,
                 **kwargs):
        kwargs.update(data_sources=data_sources, reader=reader, decoder=decoder,
                      num_samples=num_samples, items_to_descriptions=items_to_descriptions)
        self.__dict__.update(kwargs)
