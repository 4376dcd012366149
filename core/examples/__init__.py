"""TF 1.x's ``tensorflow.examples``: the tutorials' helper modules that TF1 programs import."""
