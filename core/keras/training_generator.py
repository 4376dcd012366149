"""``fit_generator`` / ``evaluate_generator`` / ``predict_generator`` (and ``fit`` etc. given a
generator, a ``keras.utils.Sequence`` or a ``tf.data`` dataset): each item is one batch
``(x, y[, sample_weight])``, standardized and run by TrainingMixin (core/keras/training.py)."""

from __future__ import annotations

from . import training_data as td


class GeneratorMixin:
    # -- generators, Sequences and datasets -----------------------------------------------------
    @staticmethod
    def _is_generator_like(x):
        from ..data.dataset_ops import Dataset
        from .utils import Sequence
        return isinstance(x, (Sequence, Dataset)) or hasattr(x, "__next__")

    def _generator_batches(self, source, steps, shuffle=False):
        batches = td.GeneratorBatches(source, steps, shuffle, session_fn=self._session)
        return batches

    def _prepared(self, item, class_weight=None):
        bx, by, bw = item
        self._ensure_built(bx)
        inputs, targets, weights, _ = self._standardize(bx, by, bw, class_weight)
        return inputs, targets, weights, None

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      validation_freq=1, class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        self._require_compiled()
        source = self._generator_batches(generator, steps_per_epoch, shuffle)
        first = None
        if not getattr(self, "inputs", None) or self._compiled_graph is None:
            first = next(iter(source.epoch()))
            self._prepared(first, class_weight)

        def run_epoch(on_batch):
            for i, item in enumerate(source.epoch()):
                on_batch(i, *self._prepared(item, class_weight))

        validate = None
        if validation_data is not None:
            if self._is_generator_like(validation_data):
                val_source = self._generator_batches(validation_data, validation_steps)

                def validate():
                    return self._test_loop(None, None, None, None, batches=[
                        self._prepared(item) for item in val_source.epoch()])
            else:
                vx, vy, vw = td.unpack_batch(tuple(validation_data))

                def validate():
                    return self._test_loop(*self._standardize(vx, vy, vw)[:3], 32)
        return self._fit_loop(run_epoch, epochs, verbose, callbacks, initial_epoch, validate,
                              validation_freq, {"steps": source.steps, "samples": None})

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        self._require_compiled()
        source = self._generator_batches(generator, steps)
        batches = [self._prepared(item) for item in source.epoch()]
        return self._single(self._test_loop(None, None, None, None, batches=batches))

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        source = self._generator_batches(generator, steps)
        chunks = []
        for bx, _, _ in source.epoch():
            self._ensure_built(bx)
            chunks.append(self._predict_batch(self._input_arrays(bx)))
        return self._concat(chunks)


