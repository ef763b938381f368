"""Keras' ``fit`` under MultiWorkerMirroredStrategy, made to work for our models: private
Keras methods replaced on one model instance, quarantined here and refused on a Keras
release other than the one it was written for (``compat``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf

from .compat import check_keras_for_multi_worker

__all__ = ["fit_across_workers"]


def fit_across_workers(model: keras.Model) -> None:
    """Make ``model.fit`` work under MultiWorkerMirroredStrategy with Keras 3.15, which
    fails there twice (keras-team/keras#20585; TensorFlow's multi-worker tutorial fails the
    same way). Only this model instance changes.

    - Before the first step, ``fit`` averages the first batch over the replicas to build
      the model from its shapes, a reduction that fails eagerly ("Attempt to convert a
      value (PerReplica...)"). This worker's own part of the batch has the same shapes,
      so the model builds from that.
    - It averages each step's logs over the replicas along axis 0, which a scalar loss
      lacks ("Invalid reduction dimension 0"). The steps here return each figure as a
      one-element vector, whose mean over the replicas is the scalar Keras expects, the
      same on every worker (an all-reduce), so early stopping decides the same on all.
    """
    check_keras_for_multi_worker()
    strategy = model.distribute_strategy

    def first_local(value: Any) -> Any:
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def build(iterator: Any = None, data_batch: Any = None) -> None:
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(first_local, next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    def as_vectors(step: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        def vector_step(data: Any) -> dict[str, Any]:
            return {name: tf.reshape(value, [1]) for name, value in step(data).items()}

        return vector_step

    model._maybe_symbolic_build = build
    model.train_step = as_vectors(model.train_step)
    model.test_step = as_vectors(model.test_step)
