"""TensorBoard tests read minitf's event files with the real ``tensorboard`` package (a dev
dependency).

TensorBoard uses TensorFlow for file access when it is importable and its own stub otherwise.
CI has no TensorFlow, so the stub is forced here: the tests exercise the same code path
everywhere (and do not pay for importing TensorFlow where it happens to be installed).
"""

import sys
import types

sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))


def pytest_configure(config):
    # TensorBoard's vendored bleach imports html5lib's deprecated sanitizer; not ours to fix.
    config.addinivalue_line("filterwarnings",
                            "ignore:html5lib's sanitizer is deprecated:DeprecationWarning")
