"""``tf.contrib.learn.datasets`` (TF 1.x): reference datasets read from local files (iris is
built in; MNIST and DBpedia need their files on disk: minitf never downloads)."""

from . import base, mnist, text_datasets

__all__ = ["DATASETS", "base", "load_boston", "load_dataset", "load_iris", "mnist",
           "text_datasets"]

load_iris = base.load_iris
load_boston = base.load_boston

# name -> loader (iris, boston: a base.Dataset; mnist, dbpedia: base.Datasets)
DATASETS = {
    "iris": base.load_iris,
    "boston": base.load_boston,
    "mnist": mnist.load_mnist,
    "dbpedia": text_datasets.load_dbpedia,
}


def load_dataset(name, size="small", test_with_fake_data=False):
    """The dataset ``name`` (a key of DATASETS). Only iris is built in; boston needs a CSV
    (``load_boston(data_path)``), mnist its four files in ./MNIST-data, dbpedia its extracted
    CSVs: each raises FileNotFoundError saying so when they are absent."""
    if name not in DATASETS:
        raise ValueError(f"Name of dataset is not found: {name} (available: "
                         f"{', '.join(sorted(DATASETS))})")
    if name == "dbpedia":
        return DATASETS[name](size, test_with_fake_data)
    return DATASETS[name]()
