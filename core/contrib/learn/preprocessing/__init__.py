"""``tf.contrib.learn.preprocessing`` (TF 1.x): vocabularies and processors that turn text or
categorical columns into id matrices."""

from . import categorical, categorical_vocabulary, text
from .categorical import CategoricalProcessor
from .categorical_vocabulary import CategoricalVocabulary
from .text import TOKENIZER_RE, ByteProcessor, VocabularyProcessor, tokenizer

__all__ = ["ByteProcessor", "CategoricalProcessor", "CategoricalVocabulary", "TOKENIZER_RE",
           "VocabularyProcessor", "categorical", "categorical_vocabulary", "text", "tokenizer"]
