"""TableEncoder: raw table columns (text, numbers, missing cells) to a float32 feature matrix.

Fitted on the training split only, then applied unchanged to validation, test and prediction rows:
- numeric columns: missing cells take the training median, and a 0/1 "<column> missing" feature is
  added when the training split had missing cells; then standardised with the training mean and std;
- categorical columns (text, or named in ``categorical``): one-hot over the training split's
  categories, a missing cell being a category of its own; a category first seen later is all zeros;
- dropped columns (named in ``drop``, or an ID: text that differs on every row, or whole numbers that
  count the rows).
The fitted state is plain JSON (``get_config`` / ``from_config``), saved in a run folder, never pickled.
"""

from __future__ import annotations

import warnings

import numpy as np

from numpynn.errors import InputError

NA_TOKENS = ("", "na", "n/a", "nan", "null", "none", "?")
MISSING = "(missing)"  # the category a missing categorical cell falls into


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

    def __init__(self, categorical: tuple[str, ...] = (), drop: tuple[str, ...] = (), na_values: tuple[str, ...] = ()):
        self.categorical, self.drop, self.na_values = list(categorical), list(drop), list(na_values)
        self.columns: list[dict] = []  # one spec per input column, in order, set by fit
        self.notes: list[str] = []

    @property
    def missing_tokens(self) -> set[str]:
        """Cell texts that mean "missing" (lower case, stripped): NA_TOKENS and the ``na_values`` given."""
        return set(NA_TOKENS) | {value.strip().lower() for value in self.na_values}

    def fit(self, table) -> TableEncoder:
        """Learn each column's kind and statistics from the training rows ``table``."""
        columns = as_columns(table)
        unknown = sorted(set(self.categorical + self.drop) - set(columns))
        if unknown:
            raise InputError(f"no column(s) {unknown} in the table; its columns are: {', '.join(columns)}.")
        self.columns, self.notes = [], []
        for name, cells in columns.items():
            self.columns.append(self._fit_column(name, cells))
        if not any(spec["kind"] != "dropped" for spec in self.columns):
            raise InputError("every column was dropped: the table has no feature left to learn from.")
        return self

    def _fit_column(self, name: str, cells: list) -> dict:
        missing = [is_missing(cell, self.missing_tokens) for cell in cells]
        present = [cell for cell, gone in zip(cells, missing) if not gone]
        spec = {"name": name, "missing": int(sum(missing))}
        if name in self.drop:
            return {**spec, "kind": "dropped", "why": "--drop"}
        numbers = [as_float(cell) for cell in present]
        if name not in self.categorical and present and all(value is not None for value in numbers):
            values = np.array(numbers, dtype=np.float64)
            if _row_numbers(values, len(cells)):
                self.notes.append(
                    f"column {name!r} numbers the rows (an ID?): dropped; pass --categorical {name} to keep it"
                )
                return {**spec, "kind": "dropped", "why": "numbers the rows"}
            median = float(np.median(values))
            filled = np.array([median if gone else as_float(cell) for cell, gone in zip(cells, missing)])
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
        if name not in self.categorical and len(set(texts)) == len(cells) > 20:
            self.notes.append(
                f"column {name!r} differs on every row (an ID?): dropped; pass --categorical {name} to keep it"
            )
            return {**spec, "kind": "dropped", "why": "unique on every row"}
        categories = sorted(set(texts)) + ([MISSING] if spec["missing"] else [])
        return {**spec, "kind": "categorical", "categories": categories}

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
        if spec["kind"] == "numeric":
            values = np.array(
                [spec["median"] if gone else as_float(cell) for cell, gone in zip(cells, missing)], dtype=object
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
        texts = [MISSING if gone else str(cell).strip() for cell, gone in zip(cells, missing)]
        codes = np.array([index.get(text, -1) for text in texts])
        unseen = sorted({text for text, code in zip(texts, codes) if code < 0})
        if unseen:
            warnings.warn(
                f"column {spec['name']!r}: categor{'y' if len(unseen) == 1 else 'ies'} {unseen[:5]} not "
                "seen in training, encoded as all zeros.",
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
        return names

    def get_config(self) -> dict:
        return {
            "categorical": self.categorical,
            "drop": self.drop,
            "na_values": self.na_values,
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
    if spec["kind"] == "numeric" and not spec["scale"] > 0:
        raise ValueError(f"scale of column {spec['name']!r} is {spec['scale']!r}")
    return dict(spec)
