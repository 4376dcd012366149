"""``tf.contrib`` (TF 1.x): the parts TF1 programs use most, loaded on first use as TF1 did.

TF 2 dropped contrib, so each submodule is built on minitf's own ops; where TF 1.x's contrib
only re-exported a core API (``tf.contrib.keras``, ``tf.contrib.signal``), the alias points at
minitf's. Anything else is an AttributeError naming what minitf provides.
"""

import importlib

# submodule -> the module that implements it (relative to minitf)
_SUBMODULES = {
    "batching": ".contrib.batching",
    "bayesflow": ".contrib.bayesflow",
    "cluster_resolver": ".contrib.cluster_resolver",
    "compiler": ".contrib.compiler",
    "copy_graph": ".contrib.copy_graph",
    "crf": ".contrib.crf",
    "cudnn_rnn": ".contrib.cudnn_rnn",
    "data": ".contrib.data",
    "deprecated": ".contrib.deprecated",
    "distribute": ".distribute.contrib",
    "distributions": ".contrib.distributions",
    "estimator": ".contrib.estimator",
    "factorization": ".contrib.factorization",
    "feature_column": ".contrib.feature_column",
    "framework": ".contrib.framework",
    "gan": ".contrib.gan",
    "graph_editor": ".contrib.graph_editor",
    "image": ".contrib.image",
    "input_pipeline": ".contrib.input_pipeline",
    "integrate": ".contrib.integrate",
    "kernel_methods": ".contrib.kernel_methods",
    "layers": ".contrib.layers",
    "learn": ".contrib.learn",
    "legacy_seq2seq": ".contrib.legacy_seq2seq",
    "libsvm": ".contrib.libsvm",
    "linalg": ".contrib.linalg",
    "lookup": ".contrib.lookup",
    "losses": ".contrib.losses",
    "metrics": ".contrib.metrics",
    "mixed_precision": ".contrib.mixed_precision",
    "nn": ".contrib.nn",
    "opt": ".contrib.opt",
    "predictor": ".contrib.predictor",
    "quantize": ".contrib.quantize",
    "resampler": ".contrib.resampler",
    "rnn": ".contrib.rnn",
    "seq2seq": ".contrib.seq2seq",
    "slim": ".contrib.slim",
    "solvers": ".contrib.solvers",
    "sparsemax": ".contrib.sparsemax",
    "staging": ".contrib.staging",
    "stateless": ".contrib.stateless",
    "summary": ".contrib.summary",
    "tensorboard": ".contrib.tensorboard",
    "text": ".contrib.text",
    "tpu": ".contrib.tpu",
    "training": ".contrib.training",
    "util": ".contrib.util",
    # TF 1.x's contrib re-exported these core modules
    "keras": ".keras",
    "signal": ".signal",
}

__all__ = sorted(_SUBMODULES)


def __getattr__(name):
    target = _SUBMODULES.get(name)
    if target is None:
        raise AttributeError(
            f"module 'minitf.contrib' has no attribute {name!r}: minitf provides "
            f"tf.contrib.{{{', '.join(__all__)}}} only")
    module = importlib.import_module(target, "minitf")
    globals()[name] = module  # later lookups skip __getattr__
    return module


def __dir__():
    return __all__
