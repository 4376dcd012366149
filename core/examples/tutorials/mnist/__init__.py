"""TF 1.x's ``tensorflow.examples.tutorials.mnist``: ``input_data`` (the data sets) and
``mnist`` (the fully_connected_feed tutorial's model)."""
