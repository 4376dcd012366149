"""``tf.audio`` (TF 1.15's namespace): decode and encode 16-bit PCM WAV files. The ops, and the
spectrogram / MFCC ops of TF's speech graphs, are in core/ops/audio_ops.py."""

from .ops.audio_ops import decode_wav, encode_wav

__all__ = ["decode_wav", "encode_wav"]
