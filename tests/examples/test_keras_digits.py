"""The Keras example end to end: train with tf.keras in graph mode, export with TF1's
simple_save, serve with the real server, and get the model's own predictions back over
KServe v2 (Triton's official client)."""

import numpy as np
import pytest
import tritonclient.grpc as triton

from examples import keras_digits
from examples.common import load_digits
from minitf.serving.repository import ModelConfig
from tests.serving.conftest import running_server


def test_keras_example_trains_exports_and_serves(tmp_path):
    result = keras_digits.train(epochs=20, out=str(tmp_path), verbose=0)
    assert result["test_accuracy"] >= 0.95
    history = result["history"]
    assert set(history) == {"loss", "acc", "val_loss", "val_acc"}  # TF 1.x's names
    assert len(history["loss"]) == 20 and history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_acc"][-1] == pytest.approx(result["test_accuracy"], abs=1e-6)

    _, _, x_test, _ = load_digits(0)
    expected = result["model"].predict(x_test[:5])
    assert expected.shape == (5, 10)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0, rtol=1e-5)
    config = ModelConfig(name="digits", base_path=str(tmp_path))
    with running_server([config]) as (server, _):
        client = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
        try:
            images = triton.InferInput("images", [5, 8, 8], "FP32")
            images.set_data_from_numpy(x_test[:5])
            answer = client.infer("digits", [images], client_timeout=10)
            np.testing.assert_allclose(answer.as_numpy("probs"), expected, rtol=1e-5,
                                       atol=1e-6)
        finally:
            client.close()
