"""``tf.contrib.losses.metric_learning`` (TF 1.15): embedding losses over a mini-batch's
pairwise distances: contrastive (Hadsell et al. 2006), triplet with semi-hard negative mining
(Schroff et al. 2015), N-pairs (Sohn 2016, also multi-label), lifted structured (Song et al.
2016) and the clustering loss (Song et al. 2017, whose clustering scores come from
scikit-learn, imported when ``cluster_loss`` is called). Built from TF's graph so the values
match TF's: masked maxima and minima by shifting, not by dynamic gathers."""

from __future__ import annotations

import numpy as np

import minitf as tf

__all__ = ["cluster_loss", "contrastive_loss", "lifted_struct_loss", "masked_maximum",
           "masked_minimum", "npairs_loss", "npairs_loss_multilabel", "pairwise_distance",
           "triplet_semihard_loss"]


def pairwise_distance(feature, squared=False):
    """``[n, n]`` distances ``|feature[i] - feature[j]|`` (squared if ``squared``) from
    ``|a|^2 + |b|^2 - 2ab``: small negatives set to 0, a zero distance's square root taken
    at 1e-16 (a finite gradient) and zeroed again, the diagonal exactly 0."""
    feature = tf.convert_to_tensor(feature)
    if feature.shape.rank is not None and feature.shape.rank != 2:
        raise ValueError(f"pairwise_distance: feature must be 2-D [n, d], got {feature.shape}")
    squares = tf.add(tf.reduce_sum(tf.square(feature), axis=[1], keepdims=True),
                     tf.reduce_sum(tf.square(tf.transpose(feature)), axis=[0], keepdims=True))
    dist_sq = tf.maximum(squares - 2.0 * tf.matmul(feature, tf.transpose(feature)), 0.0)
    zero = tf.less_equal(dist_sq, 0.0)
    dist = dist_sq if squared else tf.sqrt(dist_sq + tf.cast(zero, tf.float32) * 1e-16)
    dist = tf.multiply(dist, tf.cast(tf.logical_not(zero), tf.float32))
    off_diagonal = tf.ones_like(dist) - tf.diag(tf.ones([tf.shape(feature)[0]]))
    return tf.multiply(dist, off_diagonal)


def contrastive_loss(labels, embeddings_anchor, embeddings_positive, margin=1.0):
    """Mean over pairs of ``d^2`` (label 1: same class) or ``max(margin - d, 0)^2``
    (label 0), ``d`` the anchor-positive distance."""
    d = tf.sqrt(tf.reduce_sum(tf.squared_difference(embeddings_anchor, embeddings_positive), 1))
    y = tf.cast(labels, d.dtype)
    return tf.reduce_mean(y * tf.square(d) + (1. - y) * tf.square(tf.maximum(margin - d, 0.)),
                          name="contrastive_loss")


def masked_maximum(data, mask, dim=1):
    """The maximum along ``dim`` over the elements where ``mask`` is 1 (kept dimension);
    a row without any is its minimum."""
    minimums = tf.reduce_min(data, dim, keepdims=True)
    return tf.reduce_max(tf.multiply(data - minimums, mask), dim, keepdims=True) + minimums


def masked_minimum(data, mask, dim=1):
    """The minimum along ``dim`` over the elements where ``mask`` is 1 (kept dimension);
    a row without any is its maximum."""
    maximums = tf.reduce_max(data, dim, keepdims=True)
    return tf.reduce_min(tf.multiply(data - maximums, mask), dim, keepdims=True) + maximums


def _labels_column(labels, what):
    labels = tf.convert_to_tensor(labels)
    if labels.shape.rank is not None and labels.shape.rank != 1:
        raise ValueError(f"{what}: labels must be 1-D [batch_size], got shape {labels.shape}")
    return tf.reshape(labels, [tf.shape(labels)[0], 1])


def triplet_semihard_loss(labels, embeddings, margin=1.0):
    """Mean over positive pairs (a, p), a != p, of ``max(D_ap - D_an + margin, 0)`` with
    squared distances, ``n`` the semi-hard negative: the closest negative farther than ``p``,
    or if there is none the farthest negative."""
    labels = _labels_column(labels, "triplet_semihard_loss")
    pdist = pairwise_distance(embeddings, squared=True)
    adjacency = tf.equal(labels, tf.transpose(labels))
    adjacency_not = tf.logical_not(adjacency)
    batch_size = tf.size(labels)
    # Row a*B + p (tiled) holds D_a., compared with D_ap: which negatives are beyond p.
    pdist_tile = tf.tile(pdist, [batch_size, 1])
    mask = tf.logical_and(tf.tile(adjacency_not, [batch_size, 1]),
                          tf.greater(pdist_tile, tf.reshape(tf.transpose(pdist), [-1, 1])))
    mask_final = tf.transpose(tf.reshape(
        tf.greater(tf.reduce_sum(tf.cast(mask, tf.float32), 1, keepdims=True), 0.0),
        [batch_size, batch_size]))
    adjacency_not = tf.cast(adjacency_not, tf.float32)
    mask = tf.cast(mask, tf.float32)
    negatives_outside = tf.transpose(tf.reshape(masked_minimum(pdist_tile, mask),
                                                [batch_size, batch_size]))
    negatives_inside = tf.tile(masked_maximum(pdist, adjacency_not), [1, batch_size])
    semi_hard = tf.where(mask_final, negatives_outside, negatives_inside)
    loss_mat = tf.add(margin, pdist - semi_hard)
    mask_positives = tf.cast(adjacency, tf.float32) - tf.diag(tf.ones([batch_size]))
    num_positives = tf.reduce_sum(mask_positives)
    return tf.truediv(tf.reduce_sum(tf.maximum(tf.multiply(loss_mat, mask_positives), 0.0)),
                      num_positives, name="triplet_semihard_loss")


def _npairs(similarity, labels_remapped, embeddings_anchor, embeddings_positive, reg_lambda,
            print_losses):
    reg_anchor = tf.reduce_mean(tf.reduce_sum(tf.square(embeddings_anchor), 1))
    reg_positive = tf.reduce_mean(tf.reduce_sum(tf.square(embeddings_positive), 1))
    l2loss = tf.multiply(0.25 * reg_lambda, reg_anchor + reg_positive, name="l2loss")
    labels_remapped /= tf.reduce_sum(labels_remapped, 1, keepdims=True)
    xent = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
        logits=similarity, labels=labels_remapped), name="xentropy")
    if print_losses:
        xent = tf.Print(xent, ["cross entropy:", xent, "l2loss:", l2loss])
    return l2loss + xent


def npairs_loss(labels, embeddings_anchor, embeddings_positive, reg_lambda=0.002,
                print_losses=False):
    """``0.25 * reg_lambda * (mean |a|^2 + mean |p|^2)`` plus the mean softmax cross entropy
    of the similarities ``a_i . p_j`` against the same-label rows normalised to sum 1."""
    similarity = tf.matmul(embeddings_anchor, embeddings_positive, transpose_b=True)
    labels = _labels_column(labels, "npairs_loss")
    remapped = tf.cast(tf.equal(labels, tf.transpose(labels)), tf.float32)
    return _npairs(similarity, remapped, embeddings_anchor, embeddings_positive, reg_lambda,
                   print_losses)


def npairs_loss_multilabel(sparse_labels, embeddings_anchor, embeddings_positive,
                           reg_lambda=0.002, print_losses=False):
    """npairs_loss for multi-label pairs: ``sparse_labels`` is a list (one per pair) of 1-D
    boolean SparseTensors over the classes; pair i and j's target weight is the number of
    classes they share."""
    if not all(isinstance(s, tf.SparseTensor) for s in sparse_labels):
        raise TypeError(f"sparse_labels must be a list of SparseTensors, but got "
                        f"{sparse_labels}")
    with tf.name_scope("NpairsLossMultiLabel"):
        similarity = tf.matmul(embeddings_anchor, embeddings_positive, transpose_b=True)
        n = len(sparse_labels)
        adjacency = tf.zeros([n, n])
        for i in range(n):
            for j in range(n):
                # sparse_minimum of two 0/1 tensors is their AND; its sum the shared count.
                shared = tf.cast(tf.sparse_reduce_sum(
                    tf.sparse_minimum(sparse_labels[i], sparse_labels[j])), tf.float32)
                adjacency += tf.pad(tf.reshape(shared, [1, 1]),
                                    [[i, n - i - 1], [j, n - j - 1]], "CONSTANT")
        return _npairs(similarity, tf.cast(adjacency, tf.float32), embeddings_anchor,
                       embeddings_positive, reg_lambda, print_losses)


def lifted_struct_loss(labels, embeddings, margin=1.0):
    """The lifted structured loss: for each positive pair (i, j),
    ``J = log(sum_k∈neg(i) exp(m - D_ik) + sum_l∈neg(j) exp(m - D_jl)) + D_ij`` (stabilised by
    the rows' maxima, as TF's Caffe-matching version), and
    ``0.25 * sum max(J, 0)^2 / (number of positive pairs / 2)``."""
    labels = _labels_column(labels, "lifted_struct_loss")
    dist = pairwise_distance(embeddings)
    adjacency = tf.equal(labels, tf.transpose(labels))
    batch_size = tf.size(labels)
    diff = margin - dist
    mask = tf.cast(tf.logical_not(adjacency), tf.float32)
    row_min = tf.reduce_min(diff, 1, keepdims=True)
    row_neg_max = tf.reduce_max(tf.multiply(diff - row_min, mask), 1, keepdims=True) + row_min
    max_elements = tf.maximum(row_neg_max, tf.transpose(row_neg_max))
    max_vect = tf.reshape(tf.transpose(max_elements), [-1, 1])
    loss_exp_left = tf.reshape(tf.reduce_sum(tf.multiply(
        tf.exp(tf.tile(diff, [batch_size, 1]) - max_vect), tf.tile(mask, [batch_size, 1])),
        1, keepdims=True), [batch_size, batch_size])
    loss_mat = max_elements + tf.log(loss_exp_left + tf.transpose(loss_exp_left)) + dist
    mask_positives = tf.cast(adjacency, tf.float32) - tf.diag(tf.ones([batch_size]))
    num_positives = tf.reduce_sum(mask_positives) / 2.0
    return tf.truediv(
        0.25 * tf.reduce_sum(tf.square(tf.maximum(tf.multiply(loss_mat, mask_positives), 0.0))),
        num_positives, name="liftedstruct_loss")



# -- the clustering loss ------------------------------------------------------------------------
# Which points become cluster centres is a discrete search (TF: nested while_loops calling
# scikit-learn through py_func); it runs here as one py_func in numpy, with TF's order, ties
# (first index) and float32 scores. The loss's terms are graph ops on the distances, so its
# gradient is TF's: through the chosen centres' and the true medoids' distances.

_SCORES = {"nmi": ("normalized_mutual_info_score", False),
           "ami": ("adjusted_mutual_info_score", True),
           "ari": ("adjusted_rand_score", True),
           "vmeasure": ("v_measure_score", True), "const": (None, False)}


def _clustering_score(labels, predictions, margin_type):
    """TF's compute_clustering_score in numpy (float32): agreement in [0, 1]."""
    name, clip = _SCORES[margin_type]
    if name is None:
        return np.float32(np.array_equal(labels, predictions))
    from sklearn import metrics

    score = np.float32(getattr(metrics, name)(labels, predictions))
    return max(np.float32(0.0), score) if clip else score


def _assignment(dist, centres):
    """Each point's nearest centre (its position in ``centres``); a centre gets its own."""
    centres = np.asarray(centres, np.int64)
    pred = np.argmin(dist[centres], axis=0).astype(np.int64)
    own = np.zeros_like(pred)
    np.add.at(own, centres, np.arange(len(centres)))  # TF sums the positions (one_hot)
    return np.where(np.isin(np.arange(len(pred)), centres), own, pred)


def _choose_centres(dist, labels, margin_multiplier, margin_type, pam):
    """TF's loss-augmented greedy facility location, then ``pam`` rounds of PAM refinement:
    the centres (int32) maximising facility score + margin * (1 - clustering score)."""
    dist, m = np.asarray(dist, np.float32), np.float32(margin_multiplier)
    n, num_classes = dist.shape[0], len(np.unique(labels))
    one = np.float32(1.0)
    chosen: list = []
    for _ in range(num_classes):
        candidates = [i for i in range(n) if i not in chosen]
        best = dist[chosen].min(axis=0) if chosen else None
        scores = []
        for c in candidates:
            reach = dist[c] if best is None else np.minimum(best, dist[c])
            margin = one - _clustering_score(labels, _assignment(dist, chosen + [c]),
                                             margin_type)
            scores.append(np.float32(-reach.sum(dtype=np.float32)) + m * margin)
        chosen.append(candidates[int(np.argmax(scores))])
    for _ in range(pam):
        pred = _assignment(dist, chosen)
        for k in range(num_classes):
            members = np.flatnonzero(pred == k)
            fac = -dist[np.ix_(members, members)].sum(axis=0, dtype=np.float32)
            margins = []
            for c in members:
                trial = chosen[:k] + [int(c)] + chosen[k + 1:]
                margins.append(one - _clustering_score(labels, _assignment(dist, trial),
                                                       margin_type))
            chosen[k] = int(members[int(np.argmax(fac + m * np.asarray(margins, np.float32)))])
    return np.asarray(chosen, np.int32)


def cluster_loss(labels, embeddings, margin_multiplier, enable_pam_finetuning=True,
                 margin_type="nmi", print_losses=False):
    """The structured clustering loss ``max(F(chosen) + margin * (1 - score(labels,
    clustering(chosen))) - F(true medoids), 0)``, ``F`` the facility location score
    ``-sum_i min_centre D``, ``chosen`` found by loss-augmented inference (+ PAM when
    ``enable_pam_finetuning``). ``margin_type``: nmi, ami, ari, vmeasure (scikit-learn) or
    const. ``labels``: ``[batch, 1]`` (or ``[batch]``)."""
    try:
        import sklearn.metrics  # noqa: F401
    except ImportError as e:
        raise ImportError("Cluster loss depends on sklearn (scikit-learn), which is not "
                          "installed.") from e
    if margin_type not in _SCORES:
        raise ValueError(f"Unrecognized margin_type: {margin_type}")
    dist = pairwise_distance(embeddings)
    labels = tf.squeeze(labels)
    centres = tf.py_func(lambda d, y: _choose_centres(d, y, margin_multiplier, margin_type,
                                                      5 if enable_pam_finetuning else 0),
                         [dist, labels], tf.int32, stateful=False, name="cluster_centres")
    centres.set_shape([None])
    score_pred = -1.0 * tf.reduce_sum(tf.reduce_min(tf.gather(dist, centres), axis=0))
    predictions = tf.py_func(_assignment, [dist, centres], tf.int64, stateful=False)
    clustering_score = tf.py_func(lambda y, p: _clustering_score(y, p, margin_type),
                                  [labels, predictions], tf.float32, stateful=False,
                                  name=margin_type)
    clustering_score.set_shape([])
    # Per class, the member whose summed distance to its class is smallest (TF's
    # compute_gt_cluster_score): column sums within the class, minimum per class.
    _, class_ids = tf.unique(labels)
    same = tf.cast(tf.equal(class_ids[:, None], class_ids[None, :]), dist.dtype)
    within = tf.reduce_sum(same * dist, axis=0)
    score_gt = -1.0 * tf.reduce_sum(tf.unsorted_segment_min(
        within, class_ids, tf.reduce_max(class_ids) + 1))
    loss = tf.maximum(score_pred + margin_multiplier * (1.0 - clustering_score) - score_gt,
                      0.0, name="clustering_loss")
    loss.set_shape([])
    if print_losses:
        loss = tf.Print(loss, ["clustering_loss: ", loss, tf.shape(loss)])
    tf.summary.scalar("losses/score_pred", score_pred)
    tf.summary.scalar("losses/" + margin_type, clustering_score)
    tf.summary.scalar("losses/score_gt", score_gt)
    return loss
