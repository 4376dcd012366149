"""``tf.keras.experimental`` of TF 1.14/1.15: a model to and from a SavedModel directory, and
the cosine learning-rate schedules TF 1.15 kept here."""

from .models import export_saved_model, load_model
from .schedules import (CosineDecay, CosineDecayRestarts, LinearCosineDecay,
                        NoisyLinearCosineDecay)

__all__ = ["export_saved_model", "load_from_saved_model", "CosineDecay", "CosineDecayRestarts",
           "LinearCosineDecay", "NoisyLinearCosineDecay"]


def load_from_saved_model(saved_model_path, custom_objects=None):
    """The functional or Sequential model ``export_saved_model`` wrote."""
    return load_model(saved_model_path, custom_objects=custom_objects)
