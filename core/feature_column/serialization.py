"""Feature columns' configs as TF's feature_column/serialization.py writes them: a column as
``{"class_name", "config"}`` (its fields, nested columns likewise, dtypes by name, functions
by name, initializers as Keras serializes them), and back."""

from __future__ import annotations

from .. import dtypes as _dt
from .columns import _CLASSES, _config_name, _FeatureColumn

__all__ = ["deserialize_feature_column", "deserialize_feature_columns",
           "serialize_feature_column", "serialize_feature_columns"]


def serialize_feature_column(fc):
    """``{"class_name": ..., "config": fc.get_config()}``; a feature key as it is."""
    if isinstance(fc, str):
        return fc
    if isinstance(fc, _FeatureColumn):
        return {"class_name": _config_name(type(fc)) or type(fc).__name__,
                "config": fc.get_config()}
    raise ValueError(f"Instance: {fc} is not a FeatureColumn")


def deserialize_feature_column(config, custom_objects=None, columns_by_name=None):
    """The column ``serialize_feature_column`` gave ``config`` for (a key as it is); equal
    columns found in ``columns_by_name`` are reused."""
    if isinstance(config, str):
        return config
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"Improper config format: {config}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"Unknown feature_column_v2: {name}")
    if not (isinstance(cls, type) and issubclass(cls, _FeatureColumn)):
        raise ValueError(f"Expected FeatureColumn class, instead found: {cls}")
    if columns_by_name is None:
        columns_by_name = {}
    column = cls.from_config(dict(config["config"]), custom_objects=custom_objects,
                             columns_by_name=columns_by_name)
    return columns_by_name.setdefault(f"{type(column).__name__}:{column.name}", column)


def serialize_feature_columns(feature_columns) -> list:
    return [serialize_feature_column(fc) for fc in feature_columns]


def deserialize_feature_columns(configs, custom_objects=None) -> list:
    columns_by_name = {}
    return [deserialize_feature_column(c, custom_objects, columns_by_name) for c in configs]


def _to_config(value):
    if isinstance(value, _FeatureColumn):
        return serialize_feature_column(value)
    if isinstance(value, _dt.DType):
        return value.name
    if isinstance(value, tuple) and any(isinstance(v, _FeatureColumn) for v in value):
        return tuple(serialize_feature_column(v) for v in value)
    if callable(value):
        return _serialize_callable(value)
    return value


# TF's names of initializer classes minitf names otherwise.
_TF_INITIALIZER_NAMES = {"glorot_uniform_initializer": "GlorotUniform",
                         "glorot_normal_initializer": "GlorotNormal"}


def _serialize_callable(fn):
    """Keras's serialize_keras_object: an object with ``get_config`` as its class name and
    config, a function as its name."""
    if hasattr(fn, "get_config"):
        config = {k: v.name if isinstance(v, _dt.DType) else v
                  for k, v in fn.get_config().items()}
        name = type(fn).__name__
        return {"class_name": _TF_INITIALIZER_NAMES.get(name, name), "config": config}
    if hasattr(fn, "__name__"):
        return fn.__name__
    raise ValueError(f"Cannot serialize {fn!r}: it has neither get_config nor a __name__")


def _initializer_classes() -> dict:
    from .. import init_ops

    out = {name: obj for name, obj in vars(init_ops).items()
           if isinstance(obj, type) and issubclass(obj, init_ops.Initializer)}
    out.update((cls.__name__, cls) for cls in list(out.values()))
    out.update((tf_name, out[name]) for name, tf_name in _TF_INITIALIZER_NAMES.items())
    return out


def _deserialize_callable(value, custom_objects, module_objects, what):
    if value is None or callable(value):
        return value
    custom_objects = custom_objects or {}
    if isinstance(value, dict):
        if "class_name" not in value or "config" not in value:
            raise ValueError(f"Improper config format: {value}")
        cls = custom_objects.get(value["class_name"]) or module_objects.get(value["class_name"])
        if cls is None:
            raise ValueError(f"Unknown {what}: {value['class_name']}")
        config = dict(value["config"])
        if hasattr(cls, "from_config"):
            return cls.from_config(config)
        if "dtype" in config:
            config["dtype"] = _dt.as_dtype(config["dtype"])
        return cls(**config)
    if isinstance(value, str):
        obj = custom_objects.get(value) or module_objects.get(value)
        if obj is None:
            raise ValueError(f"Unknown {what}: {value} (pass it in custom_objects)")
        return obj() if isinstance(obj, type) else obj
    raise ValueError(f"Could not interpret serialized {what}: {value}")


def _as_tuple(value):
    # Keras-style configs (JSON) turn tuples into lists; the columns hold tuples.
    return tuple(_as_tuple(v) for v in value) if isinstance(value, list) else value


def _from_config(field, value, custom_objects, columns_by_name):
    if field in ("source_column", "categorical_column"):
        return deserialize_feature_column(value, custom_objects, columns_by_name)
    if field == "keys":
        return tuple(deserialize_feature_column(v, custom_objects, columns_by_name)
                     for v in value)
    if field == "dtype":
        return _dt.as_dtype(value)
    if field == "normalizer_fn":
        return _deserialize_callable(value, custom_objects, {}, "normalizer_fn")
    if field == "initializer":
        return _deserialize_callable(value, custom_objects, _initializer_classes(),
                                     "initializer")
    return _as_tuple(value)
