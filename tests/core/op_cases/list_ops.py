"""TF2's TensorList ops: their inputs and outputs are opaque variant values (a list is built by
one op and read by another), so they are covered by tests/core/test_list_ops.py rather than
input->output cases; that file also checks each differentiable one's gradient numerically."""

CASES = []

_FILE = "test_list_ops.py::"

COVERED_BY = {
    "TensorListReserve": _FILE + "test_reserve_set_get_stack_in_a_while_loop",
    "EmptyTensorList": _FILE + "test_push_back_pop_back_and_capacity",
    "TensorListFromTensor": _FILE + "test_from_tensor_get_set_stack_against_numpy",
    "TensorListGetItem": _FILE + "test_from_tensor_get_set_stack_against_numpy",
    "TensorListSetItem": _FILE + "test_set_item_leaves_its_input_unchanged",
    "TensorListStack": _FILE + "test_unset_elements_read_as_zeros_or_fail",
    "TensorListLength": _FILE + "test_resize_length_element_shape",
    "TensorListElementShape": _FILE + "test_resize_length_element_shape",
    "TensorListResize": _FILE + "test_resize_length_element_shape",
    "TensorListPushBack": _FILE + "test_push_back_pop_back_and_capacity",
    "TensorListPopBack": _FILE + "test_push_back_pop_back_and_capacity",
    "TensorListGather": _FILE + "test_gather_and_scatter_into_existing_list",
    "TensorListScatterIntoExistingList": _FILE + "test_gather_and_scatter_into_existing_list",
    "TensorListConcatV2": _FILE + "test_concat_v2_and_split",
    "TensorListSplit": _FILE + "test_concat_v2_and_split",
}
