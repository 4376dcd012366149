"""TFRecord framing and CRC32C (core/tfrecord.py)."""

import io
import os
import struct

import numpy as np
import pytest
from tensorboard.compat.tensorflow_stub import errors as tb_errors
from tensorboard.compat.tensorflow_stub import pywrap_tensorflow as tb_stub

from minitf import tfrecord


@pytest.mark.parametrize("data, crc", [
    # RFC 3720 (iSCSI) appendix B.4 test vectors and the classic check value.
    (bytes(32), 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
    (b"123456789", 0xE3069283),
    (b"", 0),
])
def test_crc32c_known_vectors(data, crc):
    assert tfrecord.crc32c(data) == crc


@pytest.mark.parametrize("n", [0, 1, 7, 255, 256, 511, 512, 513, 1000, 4096, 70001])
def test_vectorised_and_bytewise_crc_agree(n):
    data = np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8).tobytes()
    bytewise = tfrecord._update_bytes(0xFFFFFFFF, data) ^ 0xFFFFFFFF
    assert tfrecord.crc32c(data) == bytewise
    # ...and TensorBoard's own (pure Python) implementation.
    assert tfrecord.masked_crc32c(data) == tb_stub.masked_crc32c(data)


def test_crc_can_continue():
    data = os.urandom(3000)
    assert tfrecord.crc32c(data[1000:], tfrecord.crc32c(data[:1000])) == tfrecord.crc32c(data)


def test_record_layout():
    data = b"hello"
    rec = tfrecord.encode_record(data)
    assert len(rec) == 8 + 4 + 5 + 4
    assert struct.unpack("<Q", rec[:8]) == (5,)
    assert struct.unpack("<I", rec[8:12]) == (tfrecord.masked_crc32c(rec[:8]),)
    assert rec[12:17] == data
    assert struct.unpack("<I", rec[17:]) == (tfrecord.masked_crc32c(data),)


def test_read_records_round_trip_and_errors():
    payloads = [b"", b"a", os.urandom(1000)]
    blob = b"".join(tfrecord.encode_record(p) for p in payloads)
    assert list(tfrecord.read_records(io.BytesIO(blob))) == payloads
    with pytest.raises(tfrecord.RecordError, match="truncated"):
        list(tfrecord.read_records(io.BytesIO(blob[:-2])))
    corrupt = bytearray(blob)
    corrupt[-10] ^= 1
    with pytest.raises(tfrecord.RecordError, match="corrupt record data"):
        list(tfrecord.read_records(io.BytesIO(bytes(corrupt))))
    corrupt = bytearray(blob)
    corrupt[0] ^= 1
    with pytest.raises(tfrecord.RecordError, match="corrupt record length"):
        list(tfrecord.read_records(io.BytesIO(bytes(corrupt))))


def test_tensorboards_reader_accepts_our_records(tmp_path):
    """TensorBoard's stub record reader checks both CRCs of every record."""
    path = tmp_path / "records"
    payloads = [b"x" * n for n in (0, 3, 600, 5000)]
    path.write_bytes(b"".join(tfrecord.encode_record(p) for p in payloads))
    reader = tb_stub.PyRecordReader_New(str(path).encode(), 0, b"", None)
    got = []
    while True:
        try:
            reader.GetNext()
        except tb_errors.OutOfRangeError:
            break
        got.append(reader.record())
    assert got == payloads
