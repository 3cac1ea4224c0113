"""TableEncoder: raw table columns (text, numbers, missing cells) to a float32 feature matrix.

Fitted on the training split only, then applied unchanged to validation, test and prediction rows:
- numeric columns: missing cells take the training median, and a 0/1 "<column> missing" feature is
  added when the training split had missing cells; then standardised with the training mean and std;
- free-text columns (most cells have several words and most differ, or named in ``text``): TF-IDF over
  the training split's most frequent words (``TextVectorizer``), each row scaled to unit length, a
  missing cell being an empty text;
- categorical columns (other text, or named in ``categorical``): one-hot over the training split's
  categories, a missing cell being a category of its own; a category first seen later is all zeros;
- a numeric column with a few stray cells that are not numbers (a typo such as ``3O``) stays numeric:
  those cells count as missing, with one warning naming the column, how many and where;
- dropped columns (named in ``drop``, or an ID: text that differs on every row, or whole numbers that
  count the rows).
The fitted state is plain JSON (``get_config`` / ``from_config``), saved in a run folder, never pickled.
"""

from __future__ import annotations

import warnings

import numpy as np

from numpynn.data.text_vectorizer import TextVectorizer
from numpynn.errors import InputError

NA_TOKENS = ("", "na", "n/a", "nan", "null", "none", "?")
MISSING = "(missing)"  # the category a missing categorical cell falls into
TEXT_FEATURES = 2000  # the words (out-of-vocabulary included) a free-text column is encoded over
# A column is free text when at least this share of its cells have TEXT_WORDS words or more and at least
# this share of them differ: titles, notes, reviews; not categories such as "New York".
TEXT_SHARE, TEXT_WORDS = 0.5, 3
STRAY_SHARE = 0.02  # at most this share of a numeric column's cells (and at least 1, up to 3) may be typos
SHOWN = 3  # values a warning quotes, each cut to 30 characters


def shown(values: list) -> str:
    """A few values for a message: at most SHOWN of them, each at most 30 characters, and how many in all."""
    cut = [repr(text if len(text) <= 30 else text[:29] + "…") for text in map(str, values[:SHOWN])]
    return ", ".join(cut) + (f" and {len(values) - SHOWN} more" if len(values) > SHOWN else "")


def is_free_text(texts: list[str]) -> bool:
    """Whether the present cells of a column read as free text rather than categories."""
    if not texts:
        return False
    several_words = sum(len(text.split()) >= TEXT_WORDS for text in texts) / len(texts)
    return several_words >= TEXT_SHARE and len(set(texts)) / len(texts) >= TEXT_SHARE


def is_missing(cell, na_tokens: set[str]) -> bool:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return True
    return str(cell).strip().lower() in na_tokens


def as_float(cell) -> float | None:
    try:
        value = float(cell)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _row_numbers(values: np.ndarray, rows: int) -> bool:
    """Whether a numeric column is a row number: whole numbers, one per row, each one more than another."""
    if rows <= 20 or len(values) != rows or not np.all(values == np.round(values)):
        return False
    ordered = np.sort(values)
    return bool(np.all(np.diff(ordered) == 1))


def as_columns(table) -> dict[str, list]:
    """{name: cells} from a dict of columns or a pandas DataFrame (pandas is never imported here)."""
    if hasattr(table, "columns") and hasattr(table, "to_dict"):  # a DataFrame
        return {str(name): table[name].tolist() for name in table.columns}
    if isinstance(table, dict):
        return {str(name): list(cells) for name, cells in table.items()}
    raise InputError(f"TableEncoder takes a dict of columns or a pandas DataFrame, got {type(table).__name__}.")


class TableEncoder:
    """Raw columns -> float32 features (see the module docstring for what is done to each kind)."""

    def __init__(
        self,
        categorical: tuple[str, ...] = (),
        drop: tuple[str, ...] = (),
        na_values: tuple[str, ...] = (),
        text: tuple[str, ...] = (),
    ):
        self.categorical, self.drop, self.na_values = list(categorical), list(drop), list(na_values)
        self.text = list(text)
        self._vectorizers: dict[str, TextVectorizer] = {}  # per text column, rebuilt from its spec once
        self.columns: list[dict] = []  # one spec per input column, in order, set by fit
        self.notes: list[str] = []

    @property
    def missing_tokens(self) -> set[str]:
        """Cell texts that mean "missing" (lower case, stripped): NA_TOKENS and the ``na_values`` given."""
        return set(NA_TOKENS) | {value.strip().lower() for value in self.na_values}

    def fit(self, table) -> TableEncoder:
        """Learn each column's kind and statistics from the training rows ``table``."""
        columns = as_columns(table)
        unknown = sorted(set(self.categorical + self.drop + self.text) - set(columns))
        if unknown:
            raise InputError(f"no column(s) {unknown} in the table; its columns are: {', '.join(columns)}.")
        self.columns, self.notes, self._vectorizers = [], [], {}
        for name, cells in columns.items():
            self.columns.append(self._fit_column(name, cells))
        if not any(spec["kind"] != "dropped" for spec in self.columns):
            raise InputError("every column was dropped: the table has no feature left to learn from.")
        return self

    def _fit_column(self, name: str, cells: list) -> dict:
        missing = [is_missing(cell, self.missing_tokens) for cell in cells]
        present = [cell for cell, gone in zip(cells, missing, strict=True) if not gone]
        spec = {"name": name, "missing": int(sum(missing))}
        if name in self.drop:
            return {**spec, "kind": "dropped", "why": "--drop"}
        if name in self.text:
            return self._fit_text(spec, cells, missing, why="--text")
        numbers = [as_float(cell) for cell in present]
        strays = [
            i for i, (cell, gone) in enumerate(zip(cells, missing, strict=True)) if not gone and as_float(cell) is None
        ]
        allowed = min(3, max(1, int(STRAY_SHARE * len(present))))
        if name not in self.categorical and present and 0 < len(strays) <= allowed < len(present) - len(strays):
            warnings.warn(
                f"column {name!r}: {len(strays)} cell(s) are not numbers ({shown([cells[i] for i in strays])} in "
                f"row(s) {', '.join(str(i + 1) for i in strays[:SHOWN])}); treated as missing. Pass --categorical "
                f"{name} to use the column as categories instead.",
                UserWarning,
                stacklevel=3,
            )
            missing = [gone or i in strays for i, gone in enumerate(missing)]
            present = [cell for cell, gone in zip(cells, missing, strict=True) if not gone]
            numbers = [as_float(cell) for cell in present]
            spec = {**spec, "missing": int(sum(missing)), "strays": len(strays)}
        if name not in self.categorical and present and all(value is not None for value in numbers):
            values = np.array(numbers, dtype=np.float64)
            if _row_numbers(values, len(cells)):
                self.notes.append(
                    f"column {name!r} numbers the rows (an ID?): dropped; pass --categorical {name} to keep it"
                )
                return {**spec, "kind": "dropped", "why": "numbers the rows"}
            median = float(np.median(values))
            filled = np.array([median if gone else as_float(cell) for cell, gone in zip(cells, missing, strict=True)])
            std = float(filled.std())
            return {
                **spec,
                "kind": "numeric",
                "median": median,
                "mean": float(filled.mean()),
                "scale": std if std > 0 else 1.0,
                "indicator": bool(spec["missing"]),
            }
        texts = [str(cell).strip() for cell in present]
        if name not in self.categorical and is_free_text(texts):
            return self._fit_text(spec, cells, missing, why="most cells have several words and differ")
        if name not in self.categorical and len(set(texts)) == len(cells) > 20:
            self.notes.append(
                f"column {name!r} differs on every row (an ID?): dropped; pass --categorical {name} to keep it"
            )
            return {**spec, "kind": "dropped", "why": "unique on every row"}
        categories = sorted(set(texts)) + ([MISSING] if spec["missing"] else [])
        return {**spec, "kind": "categorical", "categories": categories}

    def _fit_text(self, spec: dict, cells: list, missing: list[bool], why: str) -> dict:
        """A free-text column: TF-IDF over the training cells' most frequent words."""
        vectorizer = TextVectorizer(max_tokens=TEXT_FEATURES, output_mode="tf_idf")
        vectorizer.adapt(["" if gone else str(cell) for cell, gone in zip(cells, missing, strict=True)])
        self._vectorizers[spec["name"]] = vectorizer
        self.notes.append(
            f"column {spec['name']!r} is free text ({why}): TF-IDF over its {vectorizer.vocabulary_size() - 1} most "
            f"frequent words; pass --categorical {spec['name']} to one-hot it instead"
        )
        return {**spec, "kind": "text", "vectorizer": vectorizer.get_config()}

    def _vectorizer(self, spec: dict) -> TextVectorizer:
        if spec["name"] not in self._vectorizers:
            self._vectorizers[spec["name"]] = TextVectorizer.from_config(spec["vectorizer"])
        return self._vectorizers[spec["name"]]

    def transform(self, table) -> np.ndarray:
        """The float32 feature matrix (rows, features) of a table with (at least) the fitted columns."""
        if not self.columns:
            raise RuntimeError("TableEncoder.transform called before fit; fit it on the training split first.")
        columns = as_columns(table)
        absent = [spec["name"] for spec in self.columns if spec["kind"] != "dropped" and spec["name"] not in columns]
        if absent:
            raise InputError(f"the table lacks the column(s) {absent}; the model was trained with them.")
        blocks = [
            self._transform_column(spec, columns[spec["name"]]) for spec in self.columns if spec["kind"] != "dropped"
        ]
        return np.concatenate(blocks, axis=1).astype(np.float32)

    def _transform_column(self, spec: dict, cells: list) -> np.ndarray:
        na = self.missing_tokens
        missing = np.array([is_missing(cell, na) for cell in cells])
        if spec["kind"] == "text":
            tf_idf = self._vectorizer(spec)(
                ["" if gone else str(cell) for cell, gone in zip(cells, missing, strict=True)]
            )
            lengths = np.linalg.norm(tf_idf, axis=1, keepdims=True)
            return np.divide(tf_idf, lengths, out=np.zeros_like(tf_idf), where=lengths > 0)
        if spec["kind"] == "numeric" and spec.get("strays"):  # typos were missing in training: here too
            missing |= np.array(
                [not gone and as_float(cell) is None for cell, gone in zip(cells, missing, strict=True)]
            )
        if spec["kind"] == "numeric":
            values = np.array(
                [spec["median"] if gone else as_float(cell) for cell, gone in zip(cells, missing, strict=True)],
                dtype=object,
            )
            bad = [i for i, value in enumerate(values) if value is None]
            if bad:
                raise InputError(
                    f"column {spec['name']!r} row {bad[0] + 1}: {cells[bad[0]]!r} is not a number "
                    "(the column was numeric in training)."
                )
            scaled = (values.astype(np.float64) - spec["mean"]) / spec["scale"]
            return np.column_stack([scaled, missing]) if spec["indicator"] else scaled[:, None]
        index = {category: i for i, category in enumerate(spec["categories"])}
        texts = [MISSING if gone else str(cell).strip() for cell, gone in zip(cells, missing, strict=True)]
        codes = np.array([index.get(text, -1) for text in texts])
        unseen = sorted({text for text, code in zip(texts, codes, strict=True) if code < 0})
        if unseen:
            warnings.warn(
                f"column {spec['name']!r}: {len(unseen)} categor{'y' if len(unseen) == 1 else 'ies'} not seen in "
                f"training ({shown(unseen)}), encoded as all zeros.",
                UserWarning,
                stacklevel=3,
            )
        return (codes[:, None] == np.arange(len(index))[None, :]).astype(np.float64)

    @property
    def feature_columns(self) -> list[str]:
        """For every output feature, the column of the table it encodes (a one-hot block shares one)."""
        columns = []
        for spec in self.columns:
            if spec["kind"] == "numeric":
                columns += [spec["name"]] * (2 if spec["indicator"] else 1)
            elif spec["kind"] == "categorical":
                columns += [spec["name"]] * len(spec["categories"])
            elif spec["kind"] == "text":
                columns += [spec["name"]] * len(spec["vectorizer"]["vocabulary"])
        return columns

    @property
    def feature_names(self) -> list[str]:
        """The name of every output feature, in order."""
        names = []
        for spec in self.columns:
            if spec["kind"] == "numeric":
                names += [spec["name"]] + ([f"{spec['name']} missing"] if spec["indicator"] else [])
            elif spec["kind"] == "categorical":
                names += [f"{spec['name']}={category}" for category in spec["categories"]]
            elif spec["kind"] == "text":
                names += [f"{spec['name']}:{token}" for token in spec["vectorizer"]["vocabulary"]]
        return names

    def get_config(self) -> dict:
        return {
            "categorical": self.categorical,
            "drop": self.drop,
            "na_values": self.na_values,
            "text": self.text,
            "columns": self.columns,
            "notes": self.notes,
        }

    @classmethod
    def from_config(cls, config: dict) -> TableEncoder:
        """The fitted encoder ``get_config`` describes; a damaged description is an InputError."""
        try:
            encoder = cls(
                list(config.get("categorical", ())),
                list(config.get("drop", ())),
                [str(value) for value in config.get("na_values", ())],
                [str(value) for value in config.get("text", ())],
            )
            encoder.columns, encoder.notes = [_checked_spec(spec) for spec in config["columns"]], []
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"the table encoding is damaged ({type(exc).__name__}: {exc}).") from None
        return encoder


def _checked_spec(spec: dict) -> dict:
    """A column spec with every field ``transform`` reads, of the right type (else ValueError)."""
    needed = {
        "numeric": {"median": float, "mean": float, "scale": float, "indicator": bool},
        "categorical": {"categories": list},
        "text": {"vectorizer": dict},
        "dropped": {},
    }[spec["kind"]]
    if not isinstance(spec["name"], str):
        raise ValueError(f"column name {spec['name']!r}")
    for key, kind in needed.items():
        value = spec[key]
        if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{key} of column {spec['name']!r} is {value!r}")
        if kind is not float and not isinstance(value, kind):
            raise ValueError(f"{key} of column {spec['name']!r} is {value!r}")
    if spec["kind"] == "categorical" and not all(isinstance(c, str) for c in spec["categories"]):
        raise ValueError(f"categories of column {spec['name']!r}")
    if spec["kind"] == "text":
        vectorizer = TextVectorizer.from_config(spec["vectorizer"])
        if vectorizer.output_mode != "tf_idf" or vectorizer.idf is None:
            raise ValueError(f"the text encoding of column {spec['name']!r}")
    if spec["kind"] == "numeric" and not spec["scale"] > 0:
        raise ValueError(f"scale of column {spec['name']!r} is {spec['scale']!r}")
    return dict(spec)
