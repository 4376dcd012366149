"""Runnable TF1-style training examples (``python -m examples.<name>``) and the demo."""
