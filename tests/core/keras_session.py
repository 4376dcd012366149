"""What the tf.keras backend tests share: a fresh default graph and Keras session around each
test (an autouse fixture: import it into the test module), and ``ev`` to read a value."""

import pytest

from minitf.keras import backend as K  # noqa: N812 - Keras' own spelling


@pytest.fixture(autouse=True)
def _fresh_graph():
    K.clear_session()
    yield
    K.clear_session()


def ev(x):
    return K.get_value(x)
