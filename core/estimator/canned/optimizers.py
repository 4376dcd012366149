"""The optimizers canned estimators take by name (TF 1.x's canned/optimizers.py)."""

from __future__ import annotations


def get_optimizer_instance(opt, learning_rate=None):
    """An Optimizer from a name ('Adagrad', 'Adam', 'Ftrl', 'RMSProp', 'SGD', at
    ``learning_rate``), an Optimizer, or a callable returning one."""
    from ...train import optimizer as opt_lib
    from ...train.optimizer_extra import FtrlOptimizer

    names = {"Adagrad": opt_lib.AdagradOptimizer, "Adam": opt_lib.AdamOptimizer,
             "Ftrl": FtrlOptimizer, "RMSProp": opt_lib.RMSPropOptimizer,
             "SGD": opt_lib.GradientDescentOptimizer}
    if isinstance(opt, str):
        if opt in names:
            if not learning_rate:
                raise ValueError("learning_rate must be specified when opt is string.")
            return names[opt](learning_rate=learning_rate)
        raise ValueError(f"Unsupported optimizer name: {opt}. Supported names are: "
                         f"{tuple(sorted(names))}")
    if callable(opt) and not isinstance(opt, opt_lib.Optimizer):
        opt = opt()
    if not isinstance(opt, opt_lib.Optimizer):
        raise ValueError(f"The given object is not an Optimizer instance. Given: {opt}")
    return opt
