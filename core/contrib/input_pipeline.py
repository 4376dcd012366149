"""``tf.contrib.input_pipeline`` (TF 1.15): round-robin reading of a list of strings through
an int64 counter variable. TF 1.15 exported ``obtain_next``; its ops module also held
``seek_next`` (variables made for you, optional shuffling and epoch limit), provided here too.

TF's ``ObtainNext`` was a custom kernel (not in tf.raw_ops); here it is composed: the counter
is assigned ``(counter + 1) % len(list)`` and that element is gathered, so the graph holds
Assign/FloorMod/GatherV2 nodes instead of one ObtainNext node. Concurrent runs of the same
op in one session may read the same counter value (TF's kernel held the variable's lock)."""

from __future__ import annotations

import random

import minitf as tf

from ..ref_variable import Variable

__all__ = ["obtain_next", "seek_next"]


def obtain_next(string_list_tensor, counter):
    """Increments the scalar int64 variable ``counter`` modulo the length of the 1-D string
    tensor ``string_list_tensor`` and returns that element (start the counter at -1)."""
    with tf.name_scope(None, "ObtainNext", [string_list_tensor]):
        string_list = tf.convert_to_tensor(string_list_tensor, name="list")
        if string_list.dtype != tf.string:
            raise TypeError(f"obtain_next: list must be a string tensor, got "
                            f"{string_list.dtype.name}")
        if string_list.shape.rank is not None and string_list.shape.rank != 1:
            raise ValueError(f"Shape must be rank 1 but is rank {string_list.shape.rank} for "
                             f"'ObtainNext' (list {string_list.shape})")
        if not isinstance(counter, Variable):
            raise TypeError(f"obtain_next: counter must be an int64 variable (TF's Ref(int64) "
                            f"input), got {type(counter).__name__}")
        if counter.dtype.base_dtype != tf.int64:
            raise TypeError(f"obtain_next: counter must be int64, got "
                            f"{counter.dtype.base_dtype.name}")
        if counter.shape.rank is not None and counter.shape.rank != 0:
            raise ValueError(f"Shape must be rank 0 but is rank {counter.shape.rank} for "
                             f"'ObtainNext' (counter {counter.shape})")
        num_elements = tf.size(string_list, out_type=tf.int64)
        position = tf.assign(counter, tf.floormod(counter + 1, num_elements))
        return tf.gather(string_list, position, name="out_element")


def _maybe_randomize_list(string_list, shuffle):
    if shuffle:
        random.shuffle(string_list)
    return string_list


def _create_list(string_list, shuffle, seed, num_epochs):
    """The list repeated ``num_epochs`` times (once if None), each epoch shuffled in Python
    with ``seed`` when ``shuffle``."""
    if shuffle and seed:
        random.seed(seed)
    expanded_list = _maybe_randomize_list(string_list, shuffle)[:]
    if num_epochs:
        for _ in range(num_epochs - 1):
            expanded_list.extend(_maybe_randomize_list(string_list, shuffle))
    return expanded_list


def seek_next(string_list, shuffle=False, seed=None, num_epochs=None):
    """The next element of the Python list ``string_list`` each run, round robin, from
    variables ``obtain_next/obtain_next_counter`` and ``obtain_next_expanded_list`` (and
    ``obtain_next_filename_counter``, which raises OutOfRangeError after ``num_epochs``
    passes)."""
    if not string_list:
        raise ValueError("seek_next: string_list must not be empty")
    expanded_list = _create_list(list(string_list), shuffle, seed, num_epochs)
    with tf.variable_scope("obtain_next"):
        counter = tf.get_variable(name="obtain_next_counter",
                                  initializer=tf.constant(-1, dtype=tf.int64), dtype=tf.int64,
                                  trainable=False)
        with tf.colocate_with(counter):
            string_tensor = tf.get_variable(name="obtain_next_expanded_list",
                                            initializer=tf.constant(expanded_list),
                                            dtype=tf.string, trainable=False)
        if num_epochs:
            filename_counter = tf.get_variable(name="obtain_next_filename_counter",
                                               initializer=tf.constant(0, dtype=tf.int64),
                                               dtype=tf.int64, trainable=False)
            c = filename_counter.count_up_to(len(expanded_list))
            with tf.control_dependencies([c]):
                return obtain_next(string_tensor, counter)
        return obtain_next(string_tensor, counter)
