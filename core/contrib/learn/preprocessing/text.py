"""Text to id matrices: ``tokenizer``, ``ByteProcessor`` and ``VocabularyProcessor``.

TF pickled a ``VocabularyProcessor`` on ``save``; minitf never unpickles (a pickle can run
arbitrary code), so ``save`` writes JSON and ``restore`` reads only that, refusing a pickle with
the reason instead of opening it."""

from __future__ import annotations

import json
import re

import numpy as np

from ....gfile import GFile
from .categorical_vocabulary import CategoricalVocabulary

__all__ = ["TOKENIZER_RE", "ByteProcessor", "VocabularyProcessor", "tokenizer"]

# Runs of 2+ capitals not starting a lowercase word ("NASA"), a capitalised word directly followed
# by another capital ("Hello" in "HelloWorld"), else runs of word characters, apostrophes and '-'.
TOKENIZER_RE = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z][a-z]+(?=[A-Z])|[\'\w\-]+", re.UNICODE)

_FORMAT = "minitf.contrib.learn.VocabularyProcessor"
_FORMAT_VERSION = 1
# Pickle protocols 2+ open with PROTO (0x80, version); protocols 0 and 1 with a GLOBAL opcode
# naming a class ("ccopy_reg\n_reconstructor\n" for the plain objects TF pickled in Python 2),
# or with MARK / EMPTY_DICT / EMPTY_LIST, and end with STOP (".").
_PICKLE_GLOBAL = re.compile(rb"\Ac[\w.]+\n[\w.]+\n")
_PICKLE_CONTAINER_START = (b"(", b"}", b"]")


def tokenizer(iterator):
    """Yields the list of ``TOKENIZER_RE`` tokens of each string of ``iterator``."""
    for value in iterator:
        yield TOKENIZER_RE.findall(value)


class ByteProcessor:
    """Documents as their UTF-8 bytes (uint8 ids), cut or zero-padded to
    ``max_document_length``."""

    def __init__(self, max_document_length):
        self.max_document_length = max_document_length

    def fit(self, x):
        """Nothing to learn."""

    def fit_transform(self, x):
        return self.transform(x)

    def transform(self, x):
        """Yields one uint8 vector of ``max_document_length`` per document (str is UTF-8
        encoded, bytes taken as is)."""
        for document in x:
            if isinstance(document, str):
                document = document.encode("utf-8")
            ids = np.frombuffer(memoryview(document)[:self.max_document_length], dtype=np.uint8)
            yield np.pad(ids, (0, self.max_document_length - len(ids)), "constant")

    def reverse(self, x):
        """Yields the text of each id vector (trailing zeros dropped; '' when the bytes are
        not valid UTF-8, e.g. a character cut by the length limit)."""
        for data in x:
            document = np.trim_zeros(np.asarray(data).astype(np.int8), trim="b").tobytes()
            try:
                yield document.decode("utf-8")
            except UnicodeDecodeError:
                yield ""


class VocabularyProcessor:
    """Documents as rows of ``max_document_length`` word ids (0: padding or unknown word).

    ``min_frequency``: after ``fit``, words seen at most this often are dropped (their id
    becomes 0) and the rest renumbered by frequency. ``vocabulary``: a CategoricalVocabulary to
    start from. ``tokenizer_fn``: iterable of documents -> iterable of token lists (default
    ``tokenizer``)."""

    def __init__(self, max_document_length, min_frequency=0, vocabulary=None,
                 tokenizer_fn=None):
        self.max_document_length = max_document_length
        self.min_frequency = min_frequency
        self.vocabulary_ = vocabulary if vocabulary else CategoricalVocabulary()
        self._tokenizer = tokenizer_fn if tokenizer_fn else tokenizer

    def fit(self, raw_documents, unused_y=None):
        """Counts every token, trims to ``min_frequency`` and freezes the vocabulary."""
        for tokens in self._tokenizer(raw_documents):
            for token in tokens:
                self.vocabulary_.add(token)
        if self.min_frequency > 0:
            self.vocabulary_.trim(self.min_frequency)
        self.vocabulary_.freeze()
        return self

    def fit_transform(self, raw_documents, unused_y=None):
        """``fit`` then ``transform`` (``raw_documents`` is read twice: pass a list, not a
        one-shot generator)."""
        self.fit(raw_documents)
        return self.transform(raw_documents)

    def transform(self, raw_documents):
        """Yields an int64 vector of ``max_document_length`` word ids per document: tokens
        past the limit are dropped, the rest of the row is 0. An unfrozen vocabulary (never
        fitted) grows with the new words, as TF's does."""
        for tokens in self._tokenizer(raw_documents):
            word_ids = np.zeros(self.max_document_length, np.int64)
            for idx, token in enumerate(tokens):
                if idx >= self.max_document_length:
                    break
                word_ids[idx] = self.vocabulary_.get(token)
            yield word_ids

    def reverse(self, documents):
        """Yields each id row as its words joined by spaces (0 reads as the unknown token)."""
        for item in documents:
            yield " ".join(self.vocabulary_.reverse(class_id) for class_id in item)

    def save(self, filename):
        """Writes the processor to ``filename`` as JSON (UTF-8)::

            {"format": "minitf.contrib.learn.VocabularyProcessor", "version": 1,
             "max_document_length": int, "min_frequency": number,
             "tokenizer_fn": null (the default tokenizer) or "module.qualname",
             "vocabulary": {"unknown_token": ..., "support_reverse": bool, "frozen": bool,
                            "categories": [category of id 0, of id 1, ...],
                            "frequencies": [[category, count], ...]}}

        Categories must be JSON scalars (str, int, float, bool, None; numpy scalars are
        converted). A custom ``tokenizer_fn`` is recorded by name only: ``restore`` needs it
        passed again."""
        state = {
            "format": _FORMAT, "version": _FORMAT_VERSION,
            "max_document_length": _scalar(self.max_document_length, "max_document_length"),
            "min_frequency": _scalar(self.min_frequency, "min_frequency"),
            "tokenizer_fn": None if self._tokenizer is tokenizer else _callable_name(
                self._tokenizer),
            "vocabulary": _vocabulary_state(self.vocabulary_),
        }
        text = json.dumps(state, ensure_ascii=False, indent=1)
        with GFile(filename, "wb") as f:
            f.write(text.encode("utf-8"))

    @classmethod
    def restore(cls, filename, tokenizer_fn=None):
        """The processor ``save`` wrote to ``filename``. Pass ``tokenizer_fn`` when it was
        saved with a custom one (minitf does not look up callables named in a file). A
        pickle (what TF's ``save`` wrote) is refused without being opened."""
        with GFile(filename, "rb") as f:
            data = f.read()
        _refuse_pickle(data, filename)
        try:
            state = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{filename} is not a VocabularyProcessor saved by minitf (a JSON "
                             f"file): {e}") from None
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(f"{filename} is JSON but not a VocabularyProcessor saved by minitf "
                             f"(expected \"format\": \"{_FORMAT}\")")
        if state.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{filename}: unsupported VocabularyProcessor file version "
                             f"{state.get('version')!r} (this minitf reads {_FORMAT_VERSION})")
        saved_tokenizer = state.get("tokenizer_fn")
        if saved_tokenizer is not None and tokenizer_fn is None:
            raise ValueError(
                f"{filename} was saved with the custom tokenizer_fn {saved_tokenizer}; minitf "
                "does not import or call functions named in a file, so pass it: "
                "VocabularyProcessor.restore(filename, tokenizer_fn=...)")
        try:
            vocabulary = _vocabulary_from_state(state["vocabulary"])
            return cls(state["max_document_length"], state["min_frequency"],
                       vocabulary=vocabulary, tokenizer_fn=tokenizer_fn)
        except (KeyError, TypeError) as e:
            raise ValueError(f"{filename}: malformed VocabularyProcessor file "
                             f"({type(e).__name__}: {e})") from None


def _refuse_pickle(data: bytes, filename) -> None:
    if data[:1] == b"\x80" and len(data) > 1 and data[1] <= 5:
        protocol = f"protocol {data[1]}"
    elif _PICKLE_GLOBAL.match(data[:512]) or (
            data[:1] in _PICKLE_CONTAINER_START and data.rstrip().endswith(b".")):
        protocol = "protocol 0/1"
    else:
        return
    raise ValueError(
        f"{filename} is a Python pickle ({protocol}), the format TensorFlow's "
        "VocabularyProcessor.save wrote. minitf never unpickles files: loading a pickle can "
        "run arbitrary code. Re-create the processor with minitf (fit it on the same "
        "documents, then save), or, where you trust the file, load it with TensorFlow and "
        "write minitf's JSON format (see minitf's VocabularyProcessor.save).")


def _callable_name(fn) -> str:
    module = getattr(fn, "__module__", None) or "?"
    return f"{module}.{getattr(fn, '__qualname__', None) or repr(fn)}"


def _scalar(value, what):
    """``value`` as a JSON scalar (numpy scalars unwrapped), else a TypeError naming it."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"VocabularyProcessor.save: {what} {value!r} of type "
                    f"{type(value).__name__} cannot be written as JSON (str, int, float, bool "
                    "or None only)")


def _vocabulary_state(vocab) -> dict:
    categories = list(vocab._mapping)  # insertion order is id order (0..n-1)
    if [vocab._mapping[c] for c in categories] != list(range(len(categories))):
        raise ValueError("VocabularyProcessor.save: the vocabulary's ids are not 0..n-1 in "
                         "insertion order; it was modified outside CategoricalVocabulary's API")
    return {
        "unknown_token": _scalar(vocab._unknown_token, "unknown_token"),
        "support_reverse": bool(vocab._support_reverse),
        "frozen": bool(vocab._freeze),
        "categories": [_scalar(c, "category") for c in categories],
        "frequencies": [[_scalar(c, "category"), int(n)] for c, n in vocab._freq.items()],
    }


def _vocabulary_from_state(state) -> CategoricalVocabulary:
    categories = state["categories"]
    vocab = CategoricalVocabulary(state["unknown_token"], bool(state["support_reverse"]))
    if not categories or categories[0] != state["unknown_token"]:
        raise ValueError("malformed VocabularyProcessor file: the first category (id 0) must "
                         f"be the unknown token {state['unknown_token']!r}")
    mapping = {category: i for i, category in enumerate(categories)}
    if len(mapping) != len(categories):
        raise ValueError("malformed VocabularyProcessor file: repeated categories")
    vocab._mapping = mapping
    if vocab._support_reverse:
        vocab._reverse_mapping = list(categories)
    for category, count in state["frequencies"]:
        vocab._freq[category] = int(count)
    vocab.freeze(bool(state["frozen"]))
    return vocab
