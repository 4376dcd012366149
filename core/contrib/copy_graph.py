"""``tf.contrib.copy_graph`` (TF 1.15): copy variables and ops from one graph into another,
under an optional scope, as TF 1.15's copy_elements did.

``copy_variable_to_graph`` makes a new variable whose initial value is the original's
*initial* value (computed in a throwaway session on the source graph). ``copy_op_to_graph``
copies an op or tensor with everything it depends on (inputs and control inputs), reusing
anything already copied under the same name and the copied variables it is given."""

from __future__ import annotations

from ..apply_op import apply_op
from ..graph import GraphKeys, Operation, Tensor
from ..ref_variable import Variable
from ..tensor import group_by_args

__all__ = ["copy_op_to_graph", "copy_variable_to_graph", "get_copied_op"]


def _scoped(name, scope):
    return f"{scope}/{name}" if scope != "" else name


def _collections_holding(element, graph):
    """The names of ``graph``'s collections that hold ``element`` (by identity)."""
    return [key for key in graph.get_all_collection_keys()
            if any(x is element for x in graph.get_collection(key))]


def copy_variable_to_graph(org_instance, to_graph, scope=""):
    """A new ``Variable`` in ``to_graph`` named ``<scope>/<name>`` with ``org_instance``'s
    initial value, trainability and collections (other than the variable collections, scoped
    too when ``scope`` is given)."""
    if not isinstance(org_instance, Variable):
        raise TypeError(f"{org_instance} is not a Variable")
    base = org_instance.name[:org_instance.name.index(":")]
    new_name = _scoped(base, scope)
    collections = []
    for key in _collections_holding(org_instance, org_instance.graph):
        if key in (GraphKeys.VARIABLES, GraphKeys.TRAINABLE_VARIABLES) or scope == "":
            collections.append(key)
        else:
            collections.append(f"{scope}/{key}")
    trainable = any(x is org_instance for x in
                    org_instance.graph.get_collection(GraphKeys.TRAINABLE_VARIABLES))
    from ..session import Session

    # TF 1.15 reads the *initial* value in a fresh session, not the current one.
    with org_instance.graph.as_default(), Session(graph=org_instance.graph) as temp_session:
        init_value = temp_session.run(org_instance.initialized_value())
    with to_graph.as_default():
        return Variable(init_value, trainable=trainable, name=new_name,
                        collections=collections, validate_shape=False)


def copy_op_to_graph(org_instance, to_graph, variables, scope=""):
    """The copy in ``to_graph`` (named ``<scope>/<name>``) of the ``Operation`` or ``Tensor``
    ``org_instance`` and, recursively, of what it reads. A tensor named like one of the
    ``variables`` (already copied with ``copy_variable_to_graph``) is that variable; an
    element already in ``to_graph`` under the new name is reused."""
    if not isinstance(org_instance, (Operation, Tensor)):
        raise TypeError(f"Could not copy instance: {org_instance}")
    new_name = _scoped(org_instance.name, scope)

    copied_variables = {x.name: x for x in variables}
    if new_name in copied_variables:
        return to_graph.get_tensor_by_name(copied_variables[new_name].name)
    try:
        return to_graph.as_graph_element(new_name, allow_tensor=True, allow_operation=True)
    except (KeyError, ValueError):
        pass

    collections = [_scoped(key, scope)
                   for key in _collections_holding(org_instance, org_instance.graph)]

    if isinstance(org_instance, Tensor):
        op = org_instance.op
        new_op = copy_op_to_graph(op, to_graph, variables, scope)
        new_tensor = new_op.outputs[op.outputs.index(org_instance)]
        for key in collections:
            to_graph.add_to_collection(key, new_tensor)
        return new_tensor

    op = org_instance
    new_control_inputs = [copy_op_to_graph(x, to_graph, variables, scope)
                          for x in op.control_inputs]
    new_inputs = [copy_op_to_graph(x, to_graph, variables, scope) for x in op.inputs]
    for i, (t, t_) in enumerate(zip(op.inputs, new_inputs)):
        if t_.dtype.base_dtype != t.dtype.base_dtype:
            raise TypeError(f"Copying {op.name}: input {i} ({t.name}, {t.dtype.name}) maps to "
                            f"{t_.name} of type {t_.dtype.name}")
    attrs = dict(op._attrs)
    args = group_by_args(op._opdef, new_inputs, attrs)
    # The copy is made as TF made it, outside any control-dependency block of the caller.
    with to_graph.control_dependencies(None):
        new_op = apply_op(op._opdef, args, attrs, new_name, graph=to_graph, exact_name=True,
                          strict_attrs=False, control_inputs=new_control_inputs)
    if op._device and not new_op._device:
        new_op._set_device(op._device)
    for t, t_ in zip(op.outputs, new_op.outputs):
        t_.set_shape(t.get_shape())
    # As TF 1.15: only a copied *tensor* joins its original's (scoped) collections.
    return new_op


def get_copied_op(org_instance, graph, scope=""):
    """The element of ``graph`` named ``<scope>/<org_instance.name>`` (KeyError if none)."""
    return graph.as_graph_element(_scoped(org_instance.name, scope), allow_tensor=True,
                                  allow_operation=True)
