"""``tf.contrib.learn.datasets.text_datasets``: DBpedia ontology classification from its CSVs
(label, title, abstract), read from a local copy: minitf never downloads."""

from __future__ import annotations

import io
import os

import numpy as np

from . import base

__all__ = ["DBPEDIA_URL", "load_dbpedia", "maybe_download_dbpedia"]

DBPEDIA_URL = "https://github.com/le-scientifique/torchDatasets/raw/master/dbpedia_csv.tar.gz"

# The three-row train / one-row test set TF shipped for test_with_fake_data.
_FAKE_TRAIN = ('1,"Google","Google is a company."\n'
               '2,"Larry Page","Larry Page is the co-founder of Google."\n'
               '3,"Time","Time is a news magazine."\n')
_FAKE_TEST = '2,"Sergey Brin","Sergey Brin is the co-founder of Google."\n'


def _data_dir():
    return os.path.join(os.getenv("TF_EXP_BASE_DIR", ""), "dbpedia_data")


def maybe_download_dbpedia(data_dir):
    """Checks that ``data_dir/dbpedia_csv/{train,test}.csv`` exist (the extracted archive);
    FileNotFoundError saying where to get them otherwise."""
    paths = [os.path.join(data_dir, "dbpedia_csv", n) for n in ("train.csv", "test.csv")]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(
            f"DBpedia files missing: {', '.join(missing)}. minitf does not download datasets: "
            f"fetch {DBPEDIA_URL} and extract it into {data_dir} (it holds dbpedia_csv/).")


def _load(path_or_text, fake):
    if not fake:
        return base.load_csv_without_header(path_or_text, target_dtype=np.int32,
                                            features_dtype=str, target_column=0)
    import csv

    rows = list(csv.reader(io.StringIO(path_or_text)))
    target = np.array([r.pop(0) for r in rows], dtype=np.int32)
    return base.Dataset(data=np.array([np.asarray(r, dtype=str) for r in rows]),
                        target=target)


def load_dbpedia(size="small", test_with_fake_data=False):
    """Datasets(train, None, test): features are [title, abstract] strings, targets int32
    classes. ``size='small'`` keeps every 1000th row (writing ``*_small.csv`` beside the
    originals, as TF did); ``test_with_fake_data`` uses TF's four built-in rows."""
    if test_with_fake_data:
        return base.Datasets(train=_load(_FAKE_TRAIN, True), validation=None,
                             test=_load(_FAKE_TEST, True))
    data_dir = _data_dir()
    maybe_download_dbpedia(data_dir)
    train_path = os.path.join(data_dir, "dbpedia_csv", "train.csv")
    test_path = os.path.join(data_dir, "dbpedia_csv", "test.csv")
    if size == "small":
        base.shrink_csv(train_path, 1000)
        base.shrink_csv(test_path, 1000)
        train_path = train_path[:-len(".csv")] + "_small.csv"
        test_path = test_path[:-len(".csv")] + "_small.csv"
    return base.Datasets(train=_load(train_path, False), validation=None,
                         test=_load(test_path, False))
