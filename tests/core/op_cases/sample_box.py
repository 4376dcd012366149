"""Cases for SampleDistortedBoundingBox(V2) and StatelessSampleDistortedBoundingBox. The ops
draw from TF's Philox stream, so with fixed seeds each first run in a session gives TF's crop:
the references are what TensorFlow 2.21 gave for the same inputs and attrs (tf.raw_ops in a
tf.compat.v1 graph)."""

import numpy as np

from .harness import Case

F = np.float32


def _tf_gave(begin, size, bboxes, dtype):
    out = (np.array(begin, dtype), np.array(size).astype(dtype),
           np.array(bboxes, F).reshape(1, 1, 4))
    return lambda *inputs, **attrs: out


CASES = [
    Case("SampleDistortedBoundingBox",
         [np.array([40, 60, 3], np.int32), np.array([[[0.1, 0.2, 0.5, 0.7]]], F)],
         attrs={"seed": 7, "seed2": 3, "min_object_covered": 0.3},
         ref=_tf_gave([3, 16, 0], [29, 28, -1], [0.075, 16 / 60, 0.8, 44 / 60], np.int32),
         id="SampleDistortedBoundingBox-seeded"),
    Case("SampleDistortedBoundingBoxV2",
         [np.array([100, 80, 3], np.int64),
          np.array([[[0.1, 0.1, 0.4, 0.3], [0.5, 0.6, 0.9, 0.95]]], F), F(0.5)],
         attrs={"seed": 1, "seed2": 2, "aspect_ratio_range": [0.5, 2.0],
                "area_range": [0.1, 0.6], "max_attempts": 50},
         ref=_tf_gave([34, 9, 0], [62, 69, -1], [0.34, 0.1125, 0.96, 0.975], np.int64),
         id="SampleDistortedBoundingBoxV2-seeded"),
    # No crop of at most half the image covers all of the box: the whole image.
    Case("SampleDistortedBoundingBoxV2",
         [np.array([50, 50, 3], np.int32), np.array([[[0, 0, 1, 1]]], F), F(1.0)],
         attrs={"seed": 4, "seed2": 4, "area_range": [0.05, 0.5]},
         ref=_tf_gave([0, 0, 0], [50, 50, -1], [0, 0, 1, 1], np.int32),
         id="SampleDistortedBoundingBoxV2-fallback"),
    Case("StatelessSampleDistortedBoundingBox",
         [np.array([30, 20, 3], np.uint8), np.zeros((1, 0, 4), F), F(0.1),
          np.array([5, 9], np.int32)],
         attrs={"use_image_if_no_bounding_boxes": True},
         ref=_tf_gave([13, 9, 0], [8, 9, -1], [13 / 30, 9 / 20, 21 / 30, 18 / 20], np.uint8),
         id="StatelessSampleDistortedBoundingBox-no-boxes-uint8"),
    Case("StatelessSampleDistortedBoundingBox",
         [np.array([480, 640, 3], np.int16), np.array([[[0.2, 0.3, 0.6, 0.9]]], F), F(0.7),
          np.array([123, -4], np.int64)],
         attrs={"aspect_ratio_range": [0.9, 1.1], "area_range": [0.3, 0.8]},
         ref=_tf_gave([19, 239, 0], [316, 299, -1], [19 / 480, 239 / 640, 335 / 480, 538 / 640],
                      np.int16),
         id="StatelessSampleDistortedBoundingBox-int64-seed"),
]
