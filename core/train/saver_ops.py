"""The save and restore ops TF1's Saver puts in the graph, for a Saver writing TensorFlow's
checkpoint format: ``save/Const`` (the checkpoint prefix, a placeholder with a default), SaveV2
and ``save/control_dependency`` (what running a save fetches), one RestoreV2 with an Assign per
saved tensor, grouped in ``save/restore_all``. minitf's Saver reads and writes checkpoints
itself; the ops are there for the SaverDef of the ``.meta`` files it writes, so TensorFlow's
``import_meta_graph`` (with an ``import_scope`` too) gets a Saver that restores the checkpoint's
names, as it does for a ``.meta`` TF wrote. The names are TF's (tf.train.Saver's
BaseSaverBuilder), one block per saved part, in checkpoint-name order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SaverOps:
    filename_tensor_name: str
    save_tensor_name: str
    restore_op_name: str


def build_saver_ops(graph, saved: dict, name: str | None = None,
                    reshape: bool = False) -> SaverOps:
    """Adds the ops to ``graph`` for ``saved``: {checkpoint name: [(Variable or a variable
    op's tensor, its SaveSliceInfo or None), ...]}. With ``reshape`` (Saver(reshape=True)),
    each restored tensor goes through a Reshape to the variable's shape, as TF builds it."""
    from ..default_graph import control_dependencies, name_scope
    from ..ops import state_ops
    from ..ops.checkpoint_ops import RESTORE_V2, SAVE_V2
    from ..ops.shape_ops import reshape as reshape_op, shape as shape_op
    from ..ops.constant_ops import constant, group, identity, placeholder_with_default

    names, specs, variables = [], [], []
    for key in sorted(saved):
        for v, info in saved[key]:
            names.append(key)
            specs.append("" if info is None else info.spec)
            variables.append(v)
    with graph.as_default(), name_scope(name, "save"):
        filename = placeholder_with_default(constant("model", name="filename/input"), shape=[],
                                            name="filename")
        prefix = placeholder_with_default(filename, shape=[], name="Const")  # TF's name for it
        save = SAVE_V2(prefix, constant(names, name="tensor_names"),
                       constant(specs, name="shape_and_slices"),
                       [v.op.outputs[0] for v in variables], name="SaveV2")
        with control_dependencies([save]):
            saved_prefix = identity(prefix, name="control_dependency")
        restored = RESTORE_V2(prefix, constant(names, name="restore_names"),
                              constant(specs, name="restore_slices"),
                              dtypes=[v.dtype.base_dtype for v in variables], name="RestoreV2")
        restored = restored if isinstance(restored, (list, tuple)) else [restored]
        if reshape:  # TF's: to the static shape, else the variable's current one
            restored = [reshape_op(r, v.shape.as_list() if v.shape.is_fully_defined()
                                   else shape_op(v.op.outputs[0]), name="Reshape")
                        for v, r in zip(variables, restored)]
        assigns = [state_ops.assign(v, r, validate_shape=not reshape and
                                    v.shape.is_fully_defined(), name="Assign")
                   for v, r in zip(variables, restored)]
        restore_all = group(*assigns, name="restore_all")
    return SaverOps(prefix.name, saved_prefix.name, restore_all.name)


__all__ = ["SaverOps", "build_saver_ops"]
