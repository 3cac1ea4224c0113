"""TextVectorizer: raw strings to token ids, multi-hot, counts or TF-IDF, in pure Python and NumPy.

Keras's ``TextVectorization`` names and conventions, without TensorFlow:

    vectorizer = TextVectorizer(max_tokens=20_000, output_sequence_length=64)
    vectorizer.adapt(train_texts)          # the vocabulary of the training split only
    ids = vectorizer(texts)                # int64 (documents, 64): 0 pads, 1 is out of vocabulary

- ``standardize``: "lower_and_strip_punctuation" (default), "lower", "strip_punctuation", None, or a
  callable on one string. Punctuation is every Unicode punctuation character (categories P*) and the
  ASCII symbols Keras strips ($ + < = > ^ ` | ~); accents and non-Latin scripts stay part of tokens.
- ``split``: "whitespace", "character" (every character, spaces included), or a callable on one string
  returning its tokens.
- ``ngrams``: None, n (every 1- to n-gram) or a tuple of sizes; an n-gram is its tokens joined by spaces.
- ``output_mode``: "int" (ids; ``output_sequence_length`` pads with 0 at the end or truncates), or one
  row per document over the vocabulary: "multi_hot" (0/1), "count", "tf_idf".
- The vocabulary is ordered by frequency in ``adapt``'s documents, ties broken by the token (code point
  order), so it does not depend on the order of the documents. In "int" mode index 0 is the padding
  "" and 1 the out-of-vocabulary "[UNK]"; in the other modes index 0 is "[UNK]". ``max_tokens`` counts
  these reserved entries, as in Keras.
- "count" is scikit-learn's ``CountVectorizer`` and "tf_idf" its ``TfidfVectorizer(smooth_idf=True,
  norm=None, sublinear_tf=False)`` on the same tokens and vocabulary: tf * (ln((1 + n) / (1 + df)) + 1),
  with n the documents given to ``adapt`` and df those containing the token (tested). Column 0 counts
  the tokens outside the vocabulary.
- ``get_config``/``from_config`` are JSON (vocabulary and idf included): no pickle.
"""

from __future__ import annotations

import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from numpynn.errors import InputError, InputTypeError

PADDING, OOV = "", "[UNK]"
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")
OUTPUT_MODES = ("int", "multi_hot", "count", "tf_idf")
KERAS_SYMBOLS = "$+<=>^`|~"  # what Keras's default strips besides punctuation proper

_punctuation_table: dict[int, None] | None = None


def punctuation_table() -> dict[int, None]:
    """``str.translate`` table deleting every Unicode punctuation character and Keras's ASCII symbols
    (built once, on first use: one pass over the 1.1 M code points, about 0.1 s)."""
    global _punctuation_table
    if _punctuation_table is None:
        table = {code: None for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)).startswith("P")}
        table.update({ord(symbol): None for symbol in KERAS_SYMBOLS})
        _punctuation_table = table
    return _punctuation_table


class TextVectorizer:
    """Raw strings -> model inputs; see the module docstring for every option.

    Parameters
    ----------
    max_tokens : int, optional
        The largest vocabulary, reserved entries included (None: every token seen in ``adapt``).
    standardize : str, callable or None
        "lower_and_strip_punctuation", "lower", "strip_punctuation", None, or ``f(text) -> text``.
    split : str or callable
        "whitespace", "character", or ``f(text) -> list of tokens``.
    ngrams : int, tuple of int or None
        n: every 1- to n-gram; a tuple: those sizes only.
    output_mode : str
        "int", "multi_hot", "count" or "tf_idf".
    output_sequence_length : int, optional
        "int" mode only: pad (with 0, at the end) or truncate every document to this many ids.
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable[[str], str] | None = "lower_and_strip_punctuation",
        split: str | Callable[[str], list[str]] = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
    ):
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int)):
            raise InputTypeError(f"max_tokens must be a whole number or None, got {max_tokens!r}.")
        if output_mode not in OUTPUT_MODES:
            raise InputError(f"output_mode must be one of {', '.join(OUTPUT_MODES)}, got {output_mode!r}.")
        reserved = 2 if output_mode == "int" else 1
        if max_tokens is not None and max_tokens <= reserved:
            raise InputError(
                f"max_tokens must leave room for a token beside the {reserved} reserved entries "
                f"(padding and out-of-vocabulary in 'int' mode), got {max_tokens}."
            )
        if not (callable(standardize) or standardize is None or standardize in STANDARDIZE):
            raise InputError(
                f"standardize must be one of {', '.join(STANDARDIZE)}, None or a function, got {standardize!r}."
            )
        if not (callable(split) or split in SPLIT):
            raise InputError(f"split must be one of {', '.join(SPLIT)} or a function, got {split!r}.")
        if output_sequence_length is not None and output_mode != "int":
            raise InputError("output_sequence_length applies to output_mode='int' only.")
        if output_sequence_length is not None and (
            isinstance(output_sequence_length, bool)
            or not isinstance(output_sequence_length, int)
            or output_sequence_length < 1
        ):
            raise InputError(f"output_sequence_length must be a positive whole number, got {output_sequence_length!r}.")
        self.max_tokens = max_tokens
        self.standardize = standardize
        self.split = split
        self.ngram_sizes = _ngram_sizes(ngrams)
        self.ngrams = ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.vocabulary: list[str] = []  # set by adapt: index -> token, the reserved entries first
        self.idf: np.ndarray | None = None  # "tf_idf": float64 (vocabulary size,)
        self._index: dict[str, int] = {}

    # ----- from text to tokens --------------------------------------------------------------------
    def standardized(self, text: str) -> str:
        """One document after ``standardize``."""
        if self.standardize is None:
            return text
        if callable(self.standardize):
            return self.standardize(text)
        if self.standardize in ("lower_and_strip_punctuation", "lower"):
            text = text.lower()
        if self.standardize in ("lower_and_strip_punctuation", "strip_punctuation"):
            text = text.translate(punctuation_table())
        return text

    def tokens(self, text: str) -> list[str]:
        """One document's tokens (with its n-grams), in order: what the vocabulary is made of."""
        if not isinstance(text, str):
            raise InputTypeError(f"TextVectorizer takes strings, got {type(text).__name__} ({text!r}).")
        text = self.standardized(text)
        if callable(self.split):
            words = list(self.split(text))
        else:
            words = text.split() if self.split == "whitespace" else list(text)
        if self.ngram_sizes == (1,):
            return words
        return [" ".join(words[i : i + n]) for n in self.ngram_sizes for i in range(len(words) - n + 1)]

    # ----- the vocabulary -----------------------------------------------------------------------
    def adapt(self, texts: Iterable[str]) -> TextVectorizer:
        """Learn the vocabulary (and for "tf_idf" the idf) from ``texts``: the training split only."""
        documents = [self.tokens(text) for text in _as_texts(texts)]
        counts = Counter(token for document in documents for token in document)
        reserved = [PADDING, OOV] if self.output_mode == "int" else [OOV]
        ranked = sorted(counts, key=lambda token: (-counts[token], token))
        ranked = [token for token in ranked if token not in reserved]
        if self.max_tokens is not None:
            ranked = ranked[: self.max_tokens - len(reserved)]
        self.set_vocabulary(reserved + ranked)
        if self.output_mode == "tf_idf":
            self.idf = self._idf(documents)
        return self

    def set_vocabulary(self, vocabulary: Sequence[str], idf: Sequence[float] | None = None) -> None:
        """Use ``vocabulary`` (index -> token, starting with the reserved entries of the mode)."""
        reserved = [PADDING, OOV] if self.output_mode == "int" else [OOV]
        vocabulary = [str(token) for token in vocabulary]
        if vocabulary[: len(reserved)] != reserved:
            raise InputError(f"a vocabulary for output_mode={self.output_mode!r} starts with {reserved}.")
        if len(set(vocabulary)) != len(vocabulary):
            raise InputError("the vocabulary lists a token twice.")
        self.vocabulary = vocabulary
        self._index = {token: index for index, token in enumerate(vocabulary)}
        self.idf = None if idf is None else np.asarray(idf, dtype=np.float64)
        if self.idf is not None and self.idf.shape != (len(vocabulary),):
            raise InputError(f"idf has {self.idf.size} weights for a vocabulary of {len(vocabulary)} tokens.")

    def get_vocabulary(self) -> list[str]:
        return list(self.vocabulary)

    def vocabulary_size(self) -> int:
        return len(self.vocabulary)

    def _idf(self, documents: list[list[str]]) -> np.ndarray:
        """ln((1 + n) / (1 + df)) + 1 per vocabulary entry, df counted over ``documents``."""
        present = Counter(index for document in documents for index in set(self._ids(document)))
        df = np.array([present.get(index, 0) for index in range(len(self.vocabulary))], dtype=np.float64)
        return np.log((1 + len(documents)) / (1 + df)) + 1

    def _ids(self, tokens: list[str]) -> list[int]:
        oov = self._index[OOV]
        return [self._index.get(token, oov) for token in tokens]

    # ----- from text to arrays ------------------------------------------------------------------
    def __call__(self, texts: Iterable[str]) -> np.ndarray:
        return self.transform(texts)

    def transform(self, texts: Iterable[str]) -> np.ndarray:
        """ "int": int64 (documents, length) with 0 after each document's ids (length: the longest document,
        or ``output_sequence_length``); other modes: float32 (documents, vocabulary size)."""
        if not self.vocabulary:
            raise RuntimeError("TextVectorizer.transform called before adapt; adapt it on the training texts first.")
        ids = [self._ids(self.tokens(text)) for text in _as_texts(texts)]
        lengths = np.fromiter((len(document) for document in ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter((index for document in ids for index in document), dtype=np.int64, count=int(lengths.sum()))
        rows = np.repeat(np.arange(len(ids)), lengths)
        if self.output_mode == "int":
            return _padded(flat, rows, lengths, self.output_sequence_length)
        # Each (document, token) pair once, with how often it occurs: a sort of the flat ids instead of a
        # Python loop or np.add.at over every token.
        codes, counts = np.unique(rows * len(self.vocabulary) + flat, return_counts=True)
        out = np.zeros((len(ids), len(self.vocabulary)), dtype=np.float32)
        if self.output_mode == "multi_hot":
            out.flat[codes] = 1.0
        elif self.output_mode == "count":
            out.flat[codes] = counts
        else:
            if self.idf is None:
                raise RuntimeError("this tf_idf TextVectorizer has no idf: adapt it, or give set_vocabulary the idf.")
            out.flat[codes] = counts * self.idf[codes % len(self.vocabulary)]
        return out

    # ----- saving ---------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Every setting and the fitted state, as JSON values (a callable standardize or split cannot be saved)."""
        if callable(self.standardize) or callable(self.split):
            raise InputError("a TextVectorizer with a function for standardize or split cannot be saved as JSON.")
        return {
            "max_tokens": self.max_tokens,
            "standardize": self.standardize,
            "split": self.split,
            "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "vocabulary": list(self.vocabulary),
            "idf": None if self.idf is None else self.idf.tolist(),
        }

    @classmethod
    def from_config(cls, config: dict) -> TextVectorizer:
        """The vectorizer ``get_config`` described, adapted as it was (no code runs from the config)."""
        try:
            ngrams = config["ngrams"]
            vectorizer = cls(
                max_tokens=config["max_tokens"],
                standardize=config["standardize"],
                split=config["split"],
                ngrams=tuple(ngrams) if isinstance(ngrams, list) else ngrams,
                output_mode=config["output_mode"],
                output_sequence_length=config["output_sequence_length"],
            )
            if config["vocabulary"]:
                vectorizer.set_vocabulary(config["vocabulary"], config["idf"])
        except (KeyError, TypeError) as exc:
            raise InputError(f"not a TextVectorizer config ({type(exc).__name__}: {exc}).") from None
        return vectorizer


def _as_texts(texts: Iterable[str]) -> list[str]:
    if isinstance(texts, str):
        raise InputTypeError("TextVectorizer takes a list of documents; wrap a single text in a list: [text].")
    return list(texts)


def _ngram_sizes(ngrams: int | tuple[int, ...] | None) -> tuple[int, ...]:
    if ngrams is None:
        return (1,)
    if isinstance(ngrams, int) and not isinstance(ngrams, bool) and ngrams >= 1:
        return tuple(range(1, ngrams + 1))
    if (
        isinstance(ngrams, tuple)
        and ngrams
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in ngrams)
    ):
        return tuple(sorted(set(ngrams)))
    raise InputError(f"ngrams must be None, a positive whole number or a tuple of them, got {ngrams!r}.")


def _padded(flat: np.ndarray, rows: np.ndarray, lengths: np.ndarray, length: int | None) -> np.ndarray:
    """(documents, length) int64: each document's ids from column 0, then zeros; longer ones truncated."""
    width = int(lengths.max(initial=0)) if length is None else length
    starts = np.cumsum(lengths) - lengths  # where each document begins in ``flat``
    columns = np.arange(flat.size) - np.repeat(starts, lengths)
    keep = columns < width
    out = np.zeros((len(lengths), width), dtype=np.int64)
    out[rows[keep], columns[keep]] = flat[keep]
    return out
