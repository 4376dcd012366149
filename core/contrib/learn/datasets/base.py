"""``tf.contrib.learn.datasets.base``: the Dataset/Datasets tuples, CSV loaders, the bundled iris
set and ``maybe_download``, which here only finds files: minitf never downloads."""

from __future__ import annotations

import collections
import csv
import os

import numpy as np

from ....gfile import GFile

__all__ = ["Dataset", "Datasets", "load_boston", "load_csv_with_header",
           "load_csv_without_header", "load_iris", "maybe_download", "shrink_csv",
           "split_into_train_and_test"]

Dataset = collections.namedtuple("Dataset", ["data", "target"])
Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])

# Fisher's iris as TF 1.x bundled it (data/iris.csv: the UCI copy, before scikit-learn
# corrected samples 35 and 38). One token per sample: the four measurements in tenths of a
# cm, two digits each, then the class (0 setosa, 1 versicolor, 2 virginica).
_IRIS = (
    "513514020 493014020 473213020 463115020 503614020 543917040 463414030 503415020 442914020 "
    "493115010 543715020 483416020 483014010 433011010 584012020 574415040 543913040 513514030 "
    "573817030 513815030 543417020 513715040 463610020 513317050 483419020 503016020 503416040 "
    "523515020 523414020 473216020 483116020 543415040 524115010 554214020 493115010 503212020 "
    "553513020 493115010 443013020 513415020 503513030 452313030 443213020 503516060 513819040 "
    "483014030 513816020 463214020 533715020 503314020 703247141 643245151 693149151 552340131 "
    "652846151 572845131 633347161 492433101 662946131 522739141 502035101 593042151 602240101 "
    "612947141 562936131 673144141 563045151 582741101 622245151 562539111 593248181 612840131 "
    "632549151 612847121 642943131 663044141 682848141 673050171 602945151 572635101 552438111 "
    "552437101 582739121 602751161 543045151 603445161 673147151 632344131 563041131 552540131 "
    "552644121 613046141 582640121 502333101 562742131 573042121 572942131 622943131 512530111 "
    "572841131 633360252 582751192 713059212 632956182 653058222 763066212 492545172 732963182 "
    "672558182 723661252 653251202 642753192 683055212 572550202 582851242 643253232 653055182 "
    "773867222 772669232 602250152 693257232 562849202 772867202 632749182 673357212 723260182 "
    "622848182 613049182 642856212 723058162 742861192 793864202 642856222 632851152 612656142 "
    "773061232 633456242 643155182 603048182 693154212 673156242 693151232 582751192 683259232 "
    "673357252 673052232 632550192 653052202 623454232 593051182 "
)


def _rows(csv_file):
    # Blank lines (a trailing newline pair) carry no sample.
    return (row for row in csv.reader(csv_file) if row)


def load_csv_with_header(filename, target_dtype, features_dtype, target_column=-1):
    """A Dataset from a CSV whose first row is ``n_samples,n_features[,...]`` (TF's format;
    the rest of the header, e.g. class names, is ignored); column ``target_column`` of each
    later row is the target, the others the features."""
    with GFile(filename) as csv_file:
        rows = _rows(csv_file)
        header = next(rows, None)
        try:
            n_samples, n_features = int(header[0]), int(header[1])
        except (TypeError, IndexError, ValueError):
            raise ValueError(f"{filename}: the header row must start with n_samples,n_features "
                             f"(load_csv_with_header); got {header!r}") from None
        data = np.zeros((n_samples, n_features), dtype=features_dtype)
        target = np.zeros((n_samples,), dtype=target_dtype)
        for i, row in enumerate(rows):
            if i >= n_samples:
                raise ValueError(f"{filename}: more rows than the {n_samples} samples its "
                                 "header announces")
            target[i] = np.asarray(row.pop(target_column), dtype=target_dtype)
            if len(row) != n_features:
                raise ValueError(f"{filename}: sample {i} has {len(row)} features besides the "
                                 f"target; the header announces {n_features}")
            data[i] = np.asarray(row, dtype=features_dtype)
    return Dataset(data=data, target=target)


def load_csv_without_header(filename, target_dtype, features_dtype, target_column=-1):
    """A Dataset from a CSV with no header: column ``target_column`` is the target."""
    data, target = [], []
    with GFile(filename) as csv_file:
        for row in _rows(csv_file):
            target.append(row.pop(target_column))
            data.append(np.asarray(row, dtype=features_dtype))
    return Dataset(data=np.array(data), target=np.array(target, dtype=target_dtype))


def shrink_csv(filename, ratio):
    """Writes every ``ratio``-th row of ``filename`` to ``<name>_small<.ext>`` beside it."""
    root, ext = os.path.splitext(os.fspath(filename))
    with GFile(root + "_small" + ext, "w") as small, GFile(filename) as full:
        writer = csv.writer(small)
        for i, row in enumerate(csv.reader(full)):
            if i % ratio == 0:
                writer.writerow(row)


def load_iris(data_path=None):
    """Fisher's iris: 150 samples, 4 float64 features, int64 classes 0-2. ``data_path``
    reads a CSV in TF's header format instead of the bundled copy."""
    if data_path is not None:
        return load_csv_with_header(data_path, target_dtype=np.int64, features_dtype=np.float64)
    tokens = _IRIS.split()
    data = np.array([[int(t[k:k + 2]) / 10 for k in range(0, 8, 2)] for t in tokens])
    target = np.array([int(t[8]) for t in tokens], dtype=np.int64)
    return Dataset(data=data, target=target)


def load_boston(data_path=None):
    """Boston housing from ``data_path`` (a CSV in TF's header format). TF bundled the file;
    minitf does not ship it (scikit-learn withdrew the set), so ``data_path`` is required."""
    if data_path is None:
        raise FileNotFoundError(
            "load_boston: minitf does not bundle the Boston housing data that TF 1.x shipped "
            "as datasets/data/boston_house_prices.csv; pass data_path= to a copy of that CSV "
            "(header row '506,13,...', target in the last column)")
    return load_csv_with_header(data_path, target_dtype=np.float64, features_dtype=np.float64)


def maybe_download(filename, work_directory, source_url):
    """The path of ``filename`` in ``work_directory``. minitf never downloads: a missing file
    is a FileNotFoundError saying where to fetch it and where to put it."""
    filepath = os.path.join(os.fspath(work_directory), filename)
    if not os.path.exists(filepath):
        raise FileNotFoundError(
            f"{filepath} not found: minitf does not download datasets. Fetch {source_url} "
            f"yourself and save it as {filepath}.")
    return filepath


def split_into_train_and_test(dataset, test_ratio=0.3, shuffle=False):
    """(train, test) Datasets: the first ``1 - test_ratio`` of the samples and the rest,
    after a permutation from numpy's global generator when ``shuffle``."""
    if not 0 <= test_ratio <= 1:
        raise ValueError(f"The test_ratio value is out of bounds: {test_ratio}")
    len_train = int(dataset.data.shape[0] * (1.0 - test_ratio))
    x, y = dataset.data[:], dataset.target[:]
    if shuffle:
        indices = np.random.permutation(range(x.shape[0]))
        x, y = x[indices], y[indices]
    return (Dataset(data=x[:len_train], target=y[:len_train]),
            Dataset(data=x[len_train:], target=y[len_train:]))
