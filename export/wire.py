"""Zero-copy handling of large tensors in GraphDef / SavedModel files.

Parsing a 100 MB frozen model with protobuf copies every weight twice (into the message arena,
then into a Python bytes object when read). Instead the loader walks the protobuf wire format
itself: Const values larger than ``LARGE`` are cut out of the message before protobuf parses it,
and decoded later with ``np.frombuffer`` over the file's own buffer. The writer does the
reverse: it serialises the small parts with protobuf and streams each weight's bytes straight
from its numpy buffer. Wire format: https://protobuf.dev/programming-guides/encoding/.
"""

from __future__ import annotations

from collections.abc import Callable

from minitf.errors import DataLossError
from minitf._wire import LEN, WireError, field_spans, key
from minitf._wire import varint as encode_varint

LARGE = 1 << 16  # bytes of tensor_content worth handling outside protobuf

# Field numbers on the path SavedModel -> MetaGraphDef -> GraphDef -> NodeDef -> attr -> tensor.
SAVED_MODEL_META_GRAPHS = 2
META_GRAPH_GRAPH_DEF = 2
GRAPH_NODE = 1
NODE_ATTR = 5
ENTRY_KEY, ENTRY_VALUE = 1, 2
ATTR_TENSOR = 8
TENSOR_CONTENT = 4


def _data_loss_on_wire_error(fn, *args):
    try:
        return fn(*args)
    except WireError as e:  # the loaders report a damaged file as DataLossError
        raise DataLossError(None, None, str(e)) from None


def _rewrite(buf, start: int, end: int, handlers: dict[int, Callable]):
    """Re-encodes a message whose length-delimited fields in ``handlers`` may be replaced.

    A handler gets (buf, start, end) of the field's value and returns replacement bytes or
    None (unchanged). Returns the new message bytes, or None if nothing changed.
    """
    parts, changed, last = [], False, start
    for field, wire, fstart, vstart, vend in field_spans(buf, start, end):
        handler = handlers.get(field) if wire == LEN else None
        if handler is None:
            continue
        new = handler(buf, vstart, vend)
        if new is None:
            continue
        changed = True
        parts.append(buf[last:fstart])
        parts.append(key(field, LEN) + encode_varint(len(new)))
        parts.append(new)
        last = vend
    if not changed:
        return None
    parts.append(buf[last:end])
    return b"".join(bytes(p) for p in parts)


def split_graph_def(buf, start: int, end: int, sink: dict, key_prefix=()) -> bytes | None:
    """Cuts large Const ``value`` contents out of a serialized GraphDef.

    ``sink[key_prefix + (node_index,)]`` receives a memoryview of each cut content; the return
    value is the GraphDef without them (None if nothing was cut).
    """
    counter = [-1]

    def node(b, s, e):
        counter[0] += 1
        idx = key_prefix + (counter[0],)

        def entry(b2, s2, e2):
            key = None
            for f, w, _, vs, ve in field_spans(b2, s2, e2):
                if f == ENTRY_KEY and w == LEN:
                    key = bytes(b2[vs:ve])
            if key != b"value":
                return None

            def attr_value(b3, s3, e3):
                def tensor(b4, s4, e4):
                    for f, w, fs, vs, ve in field_spans(b4, s4, e4):
                        if f == TENSOR_CONTENT and w == LEN and ve - vs >= LARGE:
                            sink[idx] = memoryview(b4)[vs:ve]
                            return bytes(b4[s4:fs]) + bytes(b4[ve:e4])
                    return None
                return _rewrite(b3, s3, e3, {ATTR_TENSOR: tensor})
            return _rewrite(b2, s2, e2, {ENTRY_VALUE: attr_value})
        return _rewrite(b, s, e, {NODE_ATTR: entry})
    return _data_loss_on_wire_error(_rewrite, buf, start, end, {GRAPH_NODE: node})


def split_saved_model(buf, sink: dict) -> bytes | None:
    """Like split_graph_def for every MetaGraphDef of a SavedModel; keys (meta, node)."""
    counter = [-1]

    def meta(b, s, e):
        counter[0] += 1
        return _rewrite(b, s, e, {META_GRAPH_GRAPH_DEF: lambda b2, s2, e2: split_graph_def(
            b2, s2, e2, sink, (counter[0],))})
    return _data_loss_on_wire_error(_rewrite, buf, 0, len(buf), {SAVED_MODEL_META_GRAPHS: meta})


# -- streaming writer ------------------------------------------------------------------------------
class Chunks:
    """A message under construction as a list of byte chunks (weights stay numpy buffers)."""

    def __init__(self, parts=None):
        self.parts = list(parts or [])
        self.size = sum(len(p) for p in self.parts)

    def add(self, part):
        if isinstance(part, Chunks):
            self.parts.extend(part.parts)
            self.size += part.size
        elif len(part):
            self.parts.append(part)
            self.size += len(part)
        return self

    def field(self, number: int, body: Chunks):
        """Appends ``body`` as length-delimited field ``number``."""
        self.add(key(number, LEN) + encode_varint(body.size))
        return self.add(body)

    def write_to(self, f):
        for p in self.parts:
            f.write(p)


def const_node_chunks(node_small: bytes, tensor_small: bytes, content) -> Chunks:
    """A NodeDef whose ``value`` attr is TensorProto(``tensor_small`` + raw ``content``)."""
    nbytes = len(content)
    tensor = Chunks([tensor_small, key(TENSOR_CONTENT, LEN) + encode_varint(nbytes), content])
    attr_value = Chunks().field(ATTR_TENSOR, tensor)
    entry = Chunks([key(ENTRY_KEY, LEN) + encode_varint(5) + b"value"]).field(ENTRY_VALUE,
                                                                              attr_value)
    return Chunks([node_small]).field(NODE_ATTR, entry)
