"""``tf.io``: TF1's home for record files, Example parsing and file access, gathered from the
modules that implement them (python_io, ops/parsing_ops, gfile)."""

from . import gfile  # noqa: F401
from .graph_util import write_graph  # noqa: F401
from .image import decode_image  # noqa: F401
from .ops.parsing_ops import (FixedLenFeature, FixedLenSequenceFeature,  # noqa: F401
                              SparseFeature, VarLenFeature, decode_raw, parse_example,
                              parse_single_example)
from .python_io import (TFRecordCompressionType, TFRecordOptions,  # noqa: F401
                        TFRecordWriter, tf_record_iterator)
from .ops.png_ops import decode_png, encode_png  # noqa: F401,E402
from .ops.io_ops import decode_csv, matching_files, read_file, write_file  # noqa: F401,E402
from .queues import (FIFOQueue, PaddingFIFOQueue, PriorityQueue, QueueBase,  # noqa: F401,E402
                     RandomShuffleQueue)
from .ops.string_extra_ops import (decode_base64, decode_compressed,  # noqa: F401,E402
                                  deserialize_many_sparse, encode_base64, parse_tensor,
                                  serialize_many_sparse, serialize_sparse, serialize_tensor)
from .image_decode_extra import decode_bmp, decode_gif  # noqa: F401,E402
from .ops.json_example_ops import decode_json_example  # noqa: F401,E402
from .parsing_sequence import (parse_sequence_example,  # noqa: F401,E402
                               parse_single_sequence_example)
from .image_jpeg import (decode_and_crop_jpeg, decode_jpeg,  # noqa: F401,E402
                         extract_jpeg_shape, is_jpeg)
from .ops.jpeg_encode_ops import encode_jpeg  # noqa: F401,E402


def match_filenames_once(pattern, name=None):
    """TF1's ``tf.io.match_filenames_once``: a local variable (collection LOCAL_VARIABLES, not
    trainable, no fixed shape) initialised with ``matching_files(pattern)``, so the file list
    is read once, when the local variables are initialised."""
    from .graph import GraphKeys, name_scope
    from .variables import Variable

    with name_scope(name, "matching_filenames", [pattern]) as scope:
        return Variable(name=scope, initial_value=matching_files(pattern), trainable=False,
                        validate_shape=False, collections=[GraphKeys.LOCAL_VARIABLES])
