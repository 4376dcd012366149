"""``tf.losses``: TF 1.x loss functions (weighted, reduced, added to the LOSSES collection)."""
