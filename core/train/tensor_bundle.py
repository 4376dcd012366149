"""TensorFlow's own checkpoint format (TensorBundle, "V2"): read and write, no TensorFlow needed.

A bundle with prefix ``P`` is ``P.index`` plus data shards ``P.data-00000-of-0000N``:

- ``P.index`` is a LevelDB-style sorted table. Data blocks hold entries ``varint32 shared,
  varint32 non_shared, varint32 value_len, key[shared:], value`` (keys are prefix-compressed
  against the previous key, except at restart points), then the uint32 restart offsets and their
  count. Every block is followed by a 5-byte trailer: compression type (0 = none) and the masked
  CRC32C of block + type. An index block maps a separator key per data block to its handle
  (varint64 offset, varint64 size); the 48-byte footer holds the metaindex and index handles,
  zero padding and the magic 0xdb4775248b80fb57.
- Key ``""`` holds a BundleHeaderProto {num_shards = 1, endianness = 2, version = 3}; every other
  key is a tensor name whose value is a BundleEntryProto {dtype = 1, shape = 2, shard_id = 3,
  offset = 4, size = 5, crc32c = 6 (fixed32, masked), slices = 7}
  (tensorflow/core/protobuf/tensor_bundle.proto).
- A tensor saved in slices (a partitioned variable ``w``) has an entry under its own name with
  its dtype, full shape and ``slices`` (TensorSliceProto {repeated Extent {start = 1, length =
  2}}; no length: the whole dimension) and no data; each slice is an ordinary entry under the key
  EncodeTensorNameSlice(name, slice): OrderedCode's NumIncreasing(0), String(name),
  NumIncreasing(rank), then SignedNumIncreasing(start), (length) per dimension
  (tensor_slice.cc, ordered_code.cc). The slices' data follow their tensor's name order.
- A numeric tensor is its raw little-endian bytes in the shard; a string tensor is the varint64
  length of every element, the masked CRC32C of those lengths (each as uint32, or uint64 past
  4 GiB), then the bytes of every element. Its entry CRC covers the lengths (as uint32/uint64),
  the 4 stored checksum bytes and the element bytes (tensor_bundle.cc, WriteStringTensor).

The protos are decoded by hand with core/_wire.py: core may not import minitf.protos.
Every malformed input is reported as a DataLossError (corrupt / truncated), NotFoundError
(missing file) or UnimplementedError (valid but unsupported: big-endian, bfloat16...),
naming the file and the tensor; never an IndexError or struct.error.

The code is split by part, each module readable on its own; this one re-exports every name
(the private helpers too: tests build entries with ``_entry_proto``), so ``tensor_bundle.X``
stays the one place to import from:

- tensor_bundle_table.py: the sorted table ``P.index`` is stored in, read and encoded;
- tensor_bundle_entry.py: file names, dtypes, BundleEntry, the header / entry protos and the
  bytes of a string tensor;
- tensor_bundle_slices.py: slice keys, ``shape_and_slice`` strings, slice checks;
- tensor_bundle_reader.py: read_index, list_bundle, BundleReader, read_bundle;
- tensor_bundle_writer.py: write_bundle, merge_bundles, temp_file.

They import one another in that order (the writer reads indexes to merge them), never this
module, so there is no import cycle.
"""

from __future__ import annotations

from .tensor_bundle_entry import (  # noqa: F401
    _BUNDLE_VERSION, _ENUM_BY_KIND, _MASK_DELTA, _NUMPY_BY_ENUM, _OTHER_NAMES, DT_STRING,
    INDEX_SUFFIX, BundleEntry, _decode_strings, _dtype_enum, _encode_strings, _entry,
    _entry_proto, _extents, _header_proto, _message, _scalar, _shape, _signed,
    _sliced_entry_proto, _unmask, data_filename, dtype_name, index_filename, is_bundle,
    numpy_dtype)
from .tensor_bundle_reader import (BundleReader, _piece, list_bundle, read_bundle,  # noqa: F401
                                   read_index)
from .tensor_bundle_slices import (_ESCAPED, SliceSpec, SlicesNotCoveredError,  # noqa: F401
                                   _check_no_overlap, _num_increasing, _signed_increasing,
                                   _slice_text, parse_shape_and_slice, slice_key)
from .tensor_bundle_table import (_BLOCK_SIZE, _FOOTER, _MAGIC, _RESTART_INTERVAL,  # noqa: F401
                                  _TRAILER, _U32, _block_entries, _BlockBuilder, _handle, _loss,
                                  _read_block, _separator, _successor, _table, encode_table)
from .tensor_bundle_writer import (_UMASK, _DataWriter, _index_items,  # noqa: F401
                                   _merge_entry, merge_bundles, temp_file, write_bundle)
