"""``slim.data_decoder`` (TF 1.x contrib.slim): the interface of the decoders a Dataset pairs
with its reader, turning one encoded record into the tensors of the items asked for."""

import abc

__all__ = ["DataDecoder"]


class DataDecoder(abc.ABC):
    """Decodes one record (a string tensor, say) into named items."""

    @abc.abstractmethod
    def decode(self, data, items):
        """The tensors of ``items`` (names), in their order, decoded from ``data``."""

    @abc.abstractmethod
    def list_items(self):
        """The names of the items ``decode`` can give."""
