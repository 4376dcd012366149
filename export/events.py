"""Reading TensorBoard event files: ``summary_iterator(path)`` yields ``Event`` protos.

The counterpart of ``tf.compat.v1.train.summary_iterator``; reads files written by minitf's
``tf.summary.FileWriter`` or by TensorFlow (TFRecord framing from ``minitf.tfrecord``, CRCs
checked).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from minitf.errors import DataLossError
from minitf.protos import event_pb2
from minitf.tfrecord import RecordError, read_records


def summary_iterator(path: str | os.PathLike) -> Iterator[event_pb2.Event]:
    """Yields each Event of an event file in order; raises DataLossError on a corrupt or
    truncated record."""
    from minitf.gfile import open_file  # (TF's NotFoundError, FailedPreconditionError)

    with open_file(path, "rb") as f:
        try:
            for data in read_records(f):
                yield event_pb2.Event.FromString(data)
        except RecordError as e:
            raise DataLossError(None, None, f"{os.fspath(path)}: {e}") from None
