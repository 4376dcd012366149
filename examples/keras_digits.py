"""A Keras classifier on scikit-learn's 8x8 digits, in TF1 graph mode, exported for serving.

    python -m examples.keras_digits [--epochs 20] [--out models/keras_digits]

TF 1.x code with the minitf import: ``tf.keras`` builds the model into the default graph,
``fit`` trains it in ``tf.keras.backend.get_session()``, and TF1's ``simple_save`` writes that
session's graph as a SavedModel: ``minitf serve --model_name digits --model_base_path <out>``
serves it (signature inputs "images" [-1, 8, 8] float32, outputs "probs" [-1, 10] float32).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import minitf as tf

from .common import load_digits


def build_model(seed=0, learning_rate=0.003):
    tf.set_random_seed(seed)
    images = tf.keras.Input(shape=(8, 8), name="images")
    x = tf.keras.layers.Flatten()(images)
    x = tf.keras.layers.Dense(128, activation="relu")(x)
    x = tf.keras.layers.Dropout(0.1)(x)
    x = tf.keras.layers.Dense(64, activation="relu")(x)
    probs = tf.keras.layers.Dense(10, activation="softmax", name="probs")(x)
    model = tf.keras.Model(images, probs)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train(epochs=20, batch_size=32, out=None, seed=0, version=1, verbose=2):
    x_train, y_train, x_test, y_test = load_digits(seed)
    np.random.seed(seed)  # Keras shuffles with numpy's global generator
    tf.keras.backend.clear_session()  # a fresh default graph; layer names start at "dense"
    model = build_model(seed)
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        validation_data=(x_test, y_test), verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    result = {"test_accuracy": float(accuracy), "loss": float(loss),
              "history": history.history, "model": model}
    if out:
        export_dir = os.path.join(out, str(version))
        tf.saved_model.simple_save(tf.keras.backend.get_session(), export_dir,
                                   inputs={"images": model.input},
                                   outputs={"probs": model.output})
        result["export_dir"] = export_dir
    print(f"[keras] test accuracy {accuracy:.4f} on {len(x_test)} images")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", default=None, help="model base path: writes <out>/<version>/")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    return train(epochs=args.epochs, batch_size=args.batch_size, out=args.out, seed=args.seed)


if __name__ == "__main__":
    main()
