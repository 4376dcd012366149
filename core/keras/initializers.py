"""``tf.keras.initializers``: Keras' initializer classes (``GlorotUniform``, ``RandomNormal``...)
with Keras' defaults (random ones at scale 0.05) and Keras' configs, built on core/init_ops.py's
samplers; plus ``get``/``serialize``/``deserialize``, whose ``{"class_name", "config"}`` dicts
the other Keras namespaces (regularizers, constraints) share through ``_serialize`` and
``_deserialize`` here."""

from __future__ import annotations

from .. import init_ops
from ..initializers import identity as _identity

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "VarianceScaling", "Orthogonal", "Identity", "GlorotUniform",
           "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform", "zeros",
           "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
           "variance_scaling", "orthogonal", "identity", "glorot_uniform", "glorot_normal",
           "he_normal", "he_uniform", "lecun_normal", "lecun_uniform", "normal", "uniform",
           "zero", "one", "get", "serialize", "deserialize"]


# -- the shared (de)serialization of Keras objects -------------------------------------------
def _serialize(obj, module: str):
    """Keras' serialize_keras_object: ``{"module", "class_name", "config", "registered_name"}``."""
    if obj is None:
        return None
    if not hasattr(obj, "get_config"):
        raise ValueError(f"Cannot serialize {obj!r}: it has no get_config()")
    return {"module": f"keras.{module}", "class_name": type(obj).__name__,
            "config": obj.get_config(), "registered_name": None}


def _deserialize(config, classes: dict, custom_objects, what: str):
    """A Keras object from its name (a class name or an alias) or its serialized dict."""
    known = {**classes, **(custom_objects or {})}
    if isinstance(config, str):
        if config not in known:
            raise ValueError(f"Unknown {what}: '{config}'. Please ensure you are using a "
                             "`keras.utils.custom_object_scope` and that this object is "
                             "included in the scope.")
        found = known[config]
        if isinstance(found, type) or config in classes:  # a factory such as l1_l2 too
            return found()
        return found
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret serialized {what}: {config!r}")
    name = config["class_name"]
    if name not in known:
        raise ValueError(f"Unknown {what}: '{name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` and that this object is included "
                         "in the scope.")
    cls = known[name]
    return cls.from_config(config.get("config", {})) if hasattr(cls, "from_config") else \
        cls(**config.get("config", {}))


def _get(identifier, base, deserialize_fn, what: str):
    if identifier is None or isinstance(identifier, base):
        return identifier
    if isinstance(identifier, (dict, str)):
        return deserialize_fn(identifier)
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {what} identifier: {identifier}")


# -- the initializers --------------------------------------------------------------------------
class Initializer(init_ops.Initializer):
    """Keras' base: ``init(shape, dtype=None)`` gives a tensor; the sampler is ``_make()``'s
    core/init_ops.py object (``partition_info`` is passed on, so get_variable can use it)."""

    def __call__(self, shape, dtype=None, partition_info=None, **kwargs):
        return self._make()(shape, dtype=dtype, partition_info=partition_info)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("dtype", None)  # TF1 configs carry a dtype; Keras' take it per call
        return cls(**config)


class Zeros(Initializer):
    def _make(self):
        return init_ops.Zeros()


class Ones(Initializer):
    def _make(self):
        return init_ops.Ones()


class Constant(Initializer):
    def __init__(self, value=0):
        self.value = value

    def _make(self):
        return init_ops.Constant(self.value)

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def _make(self):
        return init_ops.RandomNormal(self.mean, self.stddev, self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def _make(self):
        return init_ops.RandomUniform(self.minval, self.maxval, self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def _make(self):
        return init_ops.TruncatedNormal(self.mean, self.stddev, self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        init_ops.VarianceScaling(scale, mode, distribution, seed)  # Keras' argument checks
        self.scale, self.mode, self.seed = scale, mode, seed
        self.distribution = distribution.lower()

    def _make(self):
        return init_ops.VarianceScaling(self.scale, self.mode, self.distribution, self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _Fixed(VarianceScaling):
    """Glorot/He/LeCun: a VarianceScaling whose config is the seed only."""

    _args = (1.0, "fan_avg", "uniform")

    def __init__(self, seed=None):
        super().__init__(*self._args, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Fixed):
    _args = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Fixed):
    _args = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Fixed):
    _args = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Fixed):
    _args = (2.0, "fan_in", "uniform")


class LecunNormal(_Fixed):
    _args = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Fixed):
    _args = (1.0, "fan_in", "uniform")


class Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def _make(self):
        return init_ops.Orthogonal(self.gain, self.seed)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def _make(self):
        return _identity(self.gain)

    def get_config(self):
        return {"gain": self.gain}


zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal, identity = VarianceScaling, Orthogonal, Identity
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform
normal, uniform, zero, one = RandomNormal, RandomUniform, Zeros, Ones  # TF 1.x's short names

_CLASSES = {c.__name__: c for c in (Zeros, Ones, Constant, RandomNormal, RandomUniform,
                                    TruncatedNormal, VarianceScaling, Orthogonal, Identity,
                                    GlorotUniform, GlorotNormal, HeNormal, HeUniform,
                                    LecunNormal, LecunUniform)}
_CLASSES.update({"zeros": Zeros, "ones": Ones, "constant": Constant,
                 "random_normal": RandomNormal, "random_uniform": RandomUniform,
                 "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
                 "orthogonal": Orthogonal, "identity": Identity,
                 "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
                 "he_normal": HeNormal, "he_uniform": HeUniform, "lecun_normal": LecunNormal,
                 "lecun_uniform": LecunUniform, "normal": RandomNormal,
                 "uniform": RandomUniform, "zero": Zeros, "one": Ones})


def serialize(initializer):
    return _serialize(initializer, "initializers")


def deserialize(config, custom_objects=None):
    return _deserialize(config, _CLASSES, custom_objects, "initializer")


def get(identifier):
    """None, an initializer, its name ("glorot_uniform"), class, or serialized dict."""
    return _get(identifier, init_ops.Initializer, deserialize, "initializer")
