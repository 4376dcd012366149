"""The CTC helpers TensorFlow composes in Python: ``tf.nn.collapse_repeated``,
``tf.nn.ctc_unique_labels`` and ``tf.nn.ctc_loss_v2`` (TF1's name for TF2's ``tf.nn.ctc_loss``).

ctc_loss_v2 with a SparseTensor composes exactly as TF: logits rotated so the blank is last, then
CTCLoss. With dense labels TF runs its batched forward-backward (ctc_loss_dense, a scan); here
the dense labels become a SparseTensor and go through the same CTCLoss, which gives the same loss
and gradient (both are exact CTC with merged repeats), so a label sequence CTCLoss refuses (empty,
or longer than its logits) is refused here too.
"""

from __future__ import annotations

from . import dtypes as _dt
from .composites import boolean_mask, sequence_mask
from .graph import convert_to_tensor, name_scope
from .ops import (array_ops, concat_split_ops, gather_ops, logic_ops, math_ops, reduction_ops,
                  transform_ops)
from .sparse_tensor import SparseTensor

__all__ = ["collapse_repeated", "ctc_loss_v2", "ctc_unique_labels"]


def _dim(t, i):
    """The static size of dimension ``i``, else its runtime value (TF's _get_dim)."""
    d = t.shape.as_list()[i] if t.shape.rank is not None else None
    return d if d is not None else array_ops.shape(t)[i]


def collapse_repeated(labels, seq_length, name=None):
    """Merges runs of a label into one: ``(collapsed [batch, new max length] padded with 0,
    new lengths)``, as TF's composition."""
    with name_scope(name, "collapse_repeated_labels", [labels, seq_length]):
        labels = convert_to_tensor(labels, name="labels")
        seq_length = convert_to_tensor(seq_length, name="seq_length")
        label_mask = concat_split_ops.concat([
            array_ops.ones_like(labels[:, :1], _dt.bool),
            logic_ops.not_equal(labels[:, 1:], labels[:, :-1])], axis=1)
        seq_mask = sequence_mask(seq_length, maxlen=_dim(labels, 1))
        label_mask = logic_ops.logical_and(label_mask, seq_mask)
        new_seq_len = reduction_ops.reduce_sum(math_ops.cast(label_mask, _dt.int32), axis=1)
        new_maxlen = reduction_ops.reduce_max(new_seq_len)
        idx_mask = sequence_mask(new_seq_len, maxlen=new_maxlen)
        flat_labels = array_ops.reshape(labels, [-1])
        flat_label_mask = array_ops.reshape(label_mask, [-1])
        flat_idx_mask = array_ops.reshape(idx_mask, [-1])
        idx = array_ops.range_(_dim(flat_idx_mask, 0))
        flat = gather_ops.scatter_nd(
            indices=transform_ops.expand_dims(boolean_mask(idx, flat_idx_mask), axis=1),
            updates=boolean_mask(flat_labels, flat_label_mask),
            shape=array_ops.shape(flat_idx_mask))
        return (array_ops.reshape(flat, [_dim(labels, 0), new_maxlen]),
                math_ops.cast(new_seq_len, seq_length.dtype))


def ctc_unique_labels(labels, name=None):
    """Per row: the distinct labels in first-seen order padded with 0 (int64), and each label's
    position among them (int32). TF maps Unique over the rows; the same result is built here
    from pairwise comparisons, without a loop."""
    with name_scope(name, "ctc_unique_labels", [labels]):
        labels = convert_to_tensor(labels, name="labels")
        width = _dim(labels, 1)
        same = logic_ops.equal(transform_ops.expand_dims(labels, 2),
                               transform_ops.expand_dims(labels, 1))  # [b, j, i]
        first = reduction_ops.argmax(math_ops.cast(same, _dt.int32), axis=2,
                                     output_type=_dt.int32)  # where label j is first seen
        positions = array_ops.range_(width)
        is_first = logic_ops.equal(first, positions)
        rank = reduction_ops.cumsum(math_ops.cast(is_first, _dt.int32), axis=1) - 1
        idx = reduction_ops.reduce_sum(
            transform_ops.one_hot(first, width, dtype=_dt.int32)
            * transform_ops.expand_dims(rank, 1), axis=2)
        slot = logic_ops.logical_and(  # [b, k, j]: label j is the k-th distinct one
            logic_ops.equal(transform_ops.expand_dims(rank, 1),
                            transform_ops.expand_dims(transform_ops.expand_dims(positions, 0),
                                                      2)),
            transform_ops.expand_dims(is_first, 1))
        y = reduction_ops.reduce_sum(
            math_ops.cast(slot, _dt.int64)
            * transform_ops.expand_dims(math_ops.cast(labels, _dt.int64), 1), axis=2)
        return y, idx


def _dense_to_sparse(dense, length):
    """The first ``length[b]`` labels of each row as an int32 SparseTensor."""
    mask = sequence_mask(length, maxlen=array_ops.shape(dense)[1])
    indices = logic_ops.where(mask)
    values = math_ops.cast(boolean_mask(dense, mask), _dt.int32)
    shape = math_ops.cast(array_ops.shape(dense), _dt.int64)
    return SparseTensor(indices, values, shape)


def ctc_loss_v2(labels, logits, label_length, logit_length, logits_time_major=True,
                unique=None, blank_index=None, name=None):
    """CTC loss ``[batch]`` with the blank at ``blank_index`` (default 0 for dense labels;
    required with a SparseTensor; negative counts from the end). ``unique`` (a TPU speed-up in
    TF) does not change the value and is accepted and unused."""
    del unique
    if isinstance(labels, SparseTensor):
        if blank_index is None:
            raise ValueError("Argument `blank_index` must be provided when labels is a "
                             "SparseTensor.")
        # As TF, this path opens no name scope (and ignores ``name``): the loss is CTCLoss.
        return _ctc_loss_blank_at(labels, logits, logit_length, logits_time_major, blank_index)
    blank_index = 0 if blank_index is None else blank_index
    with name_scope(name or "ctc_loss_dense", "ctc_loss_dense", [logits, labels]):
        logits = convert_to_tensor(logits, name="logits")
        labels = _dense_to_sparse(convert_to_tensor(labels, name="labels"), label_length)
        return _ctc_loss_blank_at(labels, logits, logit_length, logits_time_major, blank_index)


def _ctc_loss_blank_at(labels, logits, logit_length, logits_time_major, blank_index):
    """ctc_loss of sparse ``labels`` with the blank at ``blank_index``, which CTCLoss wants
    last: the logits' classes are rotated and the labels renumbered to put it there."""
    from .ops.ctc_ops import ctc_loss

    logits = convert_to_tensor(logits, name="logits")
    num_classes = logits.shape.as_list()[2] if logits.shape.rank == 3 else None
    if num_classes is None:
        raise ValueError("ctc_loss_v2 needs logits with a static number of classes, got "
                         f"shape {logits.shape}")
    if blank_index < 0:
        blank_index += num_classes
    if blank_index != num_classes - 1:  # CTCLoss's blank is the last class
        logits = concat_split_ops.concat([logits[:, :, :blank_index],
                                          logits[:, :, blank_index + 1:],
                                          logits[:, :, blank_index:blank_index + 1]], axis=2)
        values = logic_ops.where(logic_ops.less(labels.values, blank_index), labels.values,
                                 labels.values - 1)
        labels = SparseTensor(labels.indices, values, labels.dense_shape)
    return ctc_loss(labels=labels, inputs=logits, sequence_length=logit_length,
                    time_major=logits_time_major)
