"""Data for ``Model.fit``/``evaluate``/``predict`` (core/keras/training.py): arrays given as one
array, a list or a dict are matched to the model's inputs/outputs and checked with TF1 Keras'
messages; sample and class weights become one weight array per output; batches are sliced;
generators, ``Sequence`` objects and ``tf.data`` datasets become batch iterators."""

from __future__ import annotations

import numpy as np

from ..errors import OutOfRangeError


def as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def standardize(data, names, shapes, what, exception_prefix):
    """``data`` (array, list or dict keyed by ``names``) -> a list of numpy arrays, one per
    name; 1-D arrays become (N, 1) as Keras makes them. ``shapes``: the expected shapes (with
    None) to check, or None (targets: TF 1.x checks them by loss, see below)."""
    if data is None:
        if not names:
            return []
        raise ValueError(f"Error when checking model {exception_prefix}: expected "
                         f"{len(names)} array(s) for {what}, but got None")
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f'No data provided for "{missing[0]}". Need data for each key in: '
                             f"{names}")
        arrays = [data[n] for n in names]
    elif isinstance(data, (list, tuple)):
        # A nested Python list of numbers is one array (single input); else one per name.
        one = len(names) == 1 and not all(hasattr(d, "shape") for d in data)
        arrays = [data] if one else list(data)
    else:
        arrays = [data]
    if len(arrays) != len(names):
        raise ValueError(f"Error when checking model {exception_prefix}: the list of Numpy "
                         f"arrays that you are passing to your model is not the size the model "
                         f"expected. Expected to see {len(names)} array(s), but instead got "
                         f"{len(arrays)} arrays.")
    out = []
    for i, (name, a) in enumerate(zip(names, arrays)):
        a = np.asarray(a)
        if a.ndim == 1:
            a = a[:, None]
        shape = shapes[i] if shapes else None
        if shape is not None:
            if len(shape) != a.ndim:
                raise ValueError(f"Error when checking {exception_prefix}: expected {name} to "
                                 f"have {len(shape)} dimensions, but got array with shape "
                                 f"{a.shape}")
            for want, got in zip(shape[1:], a.shape[1:]):
                if want is not None and want != got:
                    raise ValueError(f"Error when checking {exception_prefix}: expected {name} "
                                     f"to have shape {tuple(shape[1:])} but got array with "
                                     f"shape {a.shape[1:]}")
        out.append(a)
    return out


def _is_categorical_crossentropy(loss) -> bool:
    from . import losses
    return isinstance(loss, losses.CategoricalCrossentropy) or (
        isinstance(loss, losses.LossFunctionWrapper) and
        loss.fn is losses.categorical_crossentropy) or \
        getattr(loss, "__name__", None) == "categorical_crossentropy"


def check_loss_and_target_compatibility(targets, loss_fns, output_shapes):
    """TF 1.x's training_utils.check_loss_and_target_compatibility: the only target shape
    checks. categorical_crossentropy refuses a (..., 1) target (integer classes); the
    mean_squared_error, binary_crossentropy and categorical_crossentropy functions and classes
    want the output's shape. Any other loss (a user's function, mae, hinge...) takes the
    target as given."""
    from . import losses
    key_fns = (losses.mean_squared_error, losses.binary_crossentropy,
               losses.categorical_crossentropy)
    key_classes = (losses.MeanSquaredError, losses.BinaryCrossentropy,
                   losses.CategoricalCrossentropy)
    for y, loss, shape in zip(targets, loss_fns, output_shapes):
        if y is None or loss is None:
            continue
        if _is_categorical_crossentropy(loss) and y.shape[-1] == 1:
            raise ValueError(
                f"You are passing a target array of shape {y.shape} while using as loss "
                "`categorical_crossentropy`. `categorical_crossentropy` expects targets to be "
                "binary matrices (1s and 0s) of shape (samples, classes). If your targets are "
                "integer classes, you can convert them to the expected format via:\n```\n"
                "from keras.utils import to_categorical\ny_binary = to_categorical(y_int)\n"
                "```\n\nAlternatively, you can use the loss function "
                "`sparse_categorical_crossentropy` instead, which does expect integer targets.")
        wrapper = isinstance(loss, losses.LossFunctionWrapper)
        if shape is None or not (isinstance(loss, key_classes) or
                                 (wrapper and any(loss.fn is f for f in key_fns))):
            continue
        for target_dim, out_dim in zip(y.shape[1:], shape[1:]):
            if out_dim is not None and target_dim != out_dim:
                name = loss.name or (loss.fn if wrapper else type(loss)).__name__
                raise ValueError(
                    f"A target array with shape {y.shape} was passed for an output of shape "
                    f"{shape} while using as loss `{name}`. This loss expects targets to have "
                    "the same shape as the output.")


def check_lengths(inputs, targets, weights):
    """TF1 Keras' checks that every array has the same number of samples."""
    def one(arrays, what):
        sizes = {a.shape[0] for a in arrays}
        if len(sizes) > 1:
            raise ValueError(f"All {what} arrays should have the same number of samples. Got "
                             f"array shapes: {[a.shape for a in arrays]}")
        return sizes.pop() if sizes else None
    n_in = one(inputs, "input arrays (x)")
    n_out = one(targets, "target arrays (y)")
    one([w for w in weights if w is not None], "sample_weight")
    if n_in is not None and n_out is not None and n_in != n_out:
        raise ValueError("Input arrays should have the same number of samples as target "
                         f"arrays. Found {n_in} input samples and {n_out} target samples.")
    return n_in if n_in is not None else n_out


def sample_weights(sample_weight, class_weight, targets, output_names, modes):
    """One weight array per output (ones when not given): ``sample_weight`` (array, list or dict
    by output name) times ``class_weight`` (dict of class -> weight, or one such per output)."""
    n_out = len(targets)
    if sample_weight is None:
        given = [None] * n_out
    elif isinstance(sample_weight, dict):
        given = [sample_weight.get(n) for n in output_names]
    elif isinstance(sample_weight, (list, tuple)) and n_out > 1:
        given = list(sample_weight)
    else:
        given = [sample_weight] * n_out if n_out == 1 else [sample_weight] + [None] * (n_out - 1)
    if class_weight is None:
        cws = [None] * n_out
    elif isinstance(class_weight, dict) and n_out > 1 and set(class_weight) <= set(output_names):
        cws = [class_weight.get(n) for n in output_names]
    else:
        cws = [class_weight] * n_out
    out = []
    for y, w, cw, mode in zip(targets, given, cws, modes):
        if w is not None:
            w = np.asarray(w, dtype=np.float32)
            if mode != "temporal" and w.ndim != 1:
                raise ValueError(f"Found a sample_weight array with shape {w.shape}. In order "
                                 "to use timestep-wise sample weighting, you should pass a 2D "
                                 'sample_weight array and specify sample_weight_mode="temporal" '
                                 "in compile(). If you just mean to use sample-wise weights, "
                                 "make sure your sample_weight array is 1D.")
            if w.shape[0] != y.shape[0]:
                raise ValueError(f"Found a sample_weight with shape {w.shape}.Expected "
                                 f"sample_weight with rank less than or equal to {y.ndim}")
        else:
            shape = y.shape[:2] if mode == "temporal" else y.shape[:1]
            w = np.ones(shape, np.float32)
        if cw:
            labels = np.argmax(y, axis=-1) if y.shape[-1] > 1 else y[..., 0].astype(int)
            if mode != "temporal" and labels.ndim > 1:
                labels = labels.reshape(labels.shape[0], -1)[:, 0]
            missing = set(np.unique(labels).tolist()) - set(cw)
            if missing:
                raise ValueError(f"`class_weight` must contain all classes in the data. The "
                                 f"classes {missing} exist in the data but not in "
                                 "`class_weight`.")
            w = w * np.array([float(cw[c]) for c in labels.ravel()],
                             np.float32).reshape(labels.shape)
        out.append(w)
    return out


def batches(n, batch_size, shuffle):
    """Index arrays of each batch; shuffle True permutes all samples, 'batch' shuffles whole
    batches (HDF5-friendly order) as Keras does."""
    index = np.arange(n)
    if shuffle == "batch":
        nb = int(np.ceil(n / batch_size))
        order = np.random.permutation(nb)
        return [index[b * batch_size:(b + 1) * batch_size] for b in order]
    if shuffle:
        np.random.shuffle(index)
    return [index[i:i + batch_size] for i in range(0, n, batch_size)]


def unpack_batch(batch):
    """A generator's item: (x, y), (x, y, sample_weight) or x."""
    if isinstance(batch, tuple):
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch
        raise ValueError("Output of generator should be a tuple `(x, y, sample_weight)` or "
                         f"`(x, y)`. Found: {batch}")
    return batch, None, None


class GeneratorBatches:
    """``steps`` batches per epoch from a Python generator, a ``Sequence`` (indexed; shuffled
    between epochs when asked) or a ``tf.data`` dataset (run in ``session``, restarted each
    epoch)."""

    def __init__(self, source, steps, shuffle=False, session_fn=None):
        from ..data.dataset_ops import Dataset
        from .utils import Sequence
        self.source, self.shuffle = source, shuffle
        self.kind = "sequence" if isinstance(source, Sequence) else (
            "dataset" if isinstance(source, Dataset) else "generator")
        if self.kind == "generator" and not hasattr(source, "__next__"):
            if hasattr(source, "__iter__"):
                source = self.source = iter(source)
            else:
                raise ValueError(f"Expected a generator, a keras.utils.Sequence or a "
                                 f"tf.data.Dataset, got {type(source).__name__}")
        if steps is None:
            if self.kind == "sequence":
                steps = len(source)
            elif self.kind == "generator":
                raise ValueError("`steps_per_epoch=None` is only valid for a generator based "
                                 "on the `keras.utils.Sequence` class. Please specify "
                                 "`steps_per_epoch` or use the `keras.utils.Sequence` class.")
        self.steps = steps
        self._session_fn = session_fn
        self._next = None
        if self.kind == "dataset":
            self._iterator = source.make_initializable_iterator() if hasattr(
                source, "make_initializable_iterator") else None
            self._next = self._iterator.get_next()

    def epoch(self):
        """Yields the batches of one epoch."""
        if self.kind == "sequence":
            order = np.random.permutation(len(self.source)) if self.shuffle else \
                range(len(self.source))
            for i, idx in enumerate(order):
                if self.steps is not None and i >= self.steps:
                    break
                yield unpack_batch(self.source[int(idx)])
            self.source.on_epoch_end()
        elif self.kind == "dataset":
            session = self._session_fn()
            session.run(self._iterator.initializer)
            i = 0
            while self.steps is None or i < self.steps:
                try:
                    item = session.run(self._next)
                except OutOfRangeError:
                    break
                yield unpack_batch(tuple(item) if isinstance(item, (list, tuple)) else item)
                i += 1
        else:
            for _ in range(self.steps):
                try:
                    item = next(self.source)
                except StopIteration:
                    print("WARNING: Your generator ran out of data; interrupting training. "
                          "Make sure it can generate at least `steps_per_epoch * epochs` "
                          "batches.")
                    return
                yield unpack_batch(item)
