"""Free-text columns in a CSV: recognised as text, encoded as TF-IDF, learned from, predicted from raw rows;
and a numeric column's stray typos kept out of one-hot encoding."""

import json
import warnings

import numpy as np
import pytest
from helpers import quotes_csv

from numpynn.apps.cli import main
from numpynn.data.table_encoder import TableEncoder


def test_a_text_column_is_learned_from_and_predicted_from_raw_rows(tmp_path, capsys):
    path = quotes_csv(tmp_path / "quotes.csv")
    out = tmp_path / "run"
    assert main(["train", f"csv:{path}", "--target", "topic", "--epochs", "60", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "column 'text' is free text" in err and "column 'id' differs on every row" in err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.9 > metrics["test"]["baseline_accuracy"] + 0.4
    assert "free text: TF-IDF over its" in (out / "report.html").read_text()
    rows = tmp_path / "rows.csv"
    rows.write_text("id,text,length\nx1,The striker took a penalty.,12\nx2,Bake it in the oven with butter,30\n")
    assert main(["predict", str(out), str(rows)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("row 1: football") and lines[1].startswith("row 2: cooking")
    assert main(["predict", str(out), "--text", "a penalty"]) == 2  # --text is for text-folder runs
    assert "trained on text:FOLDER; this run used csv:" in capsys.readouterr().err
    assert main(["predict", str(out)]) == 2
    assert "name the files to classify" in capsys.readouterr().err


def test_text_forces_a_column_to_text_and_categorical_forces_it_back(tmp_path):
    table = {"title": ["red car", "blue car", "red bike", "blue bike"] * 6, "y": list(range(24))}
    assert [spec["kind"] for spec in TableEncoder().fit(table).columns][0] == "categorical"  # 2 words: categories
    assert TableEncoder(text=("title",)).fit(table).columns[0]["kind"] == "text"
    quotes = {"text": [f"word{i} and more words here" for i in range(30)]}
    assert TableEncoder().fit(quotes).columns[0]["kind"] == "text"
    assert TableEncoder(categorical=("text",)).fit(quotes).columns[0]["kind"] == "categorical"


def test_a_few_typos_in_a_numeric_column_are_missing_cells_with_one_warning():
    ages = [str(20 + i % 30) for i in range(100)]
    ages[16], ages[40] = "3O", "fourty"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        encoder = TableEncoder().fit({"age": ages})
    spec = encoder.columns[0]
    assert spec["kind"] == "numeric" and spec["missing"] == 2 and spec["indicator"]
    [warning] = caught
    assert "column 'age': 2 cell(s) are not numbers ('3O', 'fourty' in row(s) 17, 41)" in str(warning.message)
    features = encoder.transform({"age": ["25", "3O"]})  # the same typo later: missing again
    np.testing.assert_array_equal(features[:, 1], [0, 1])
    many = [str(i) for i in range(100)]
    many[:10] = ["n/a?"] * 5 + ["unknown"] * 5  # too many to be typos: the column is categories
    assert TableEncoder().fit({"age": many}).columns[0]["kind"] == "categorical"


def test_unseen_categories_are_named_briefly_never_as_whole_rows():
    encoder = TableEncoder().fit({"city": ["Paris", "Rome"] * 10})
    long = ["A very long value that is really a whole row of text " + str(i) for i in range(7)]
    with pytest.warns(UserWarning) as caught:
        encoder.transform({"city": long})
    message = str(caught[0].message)
    assert "7 categories not seen in training" in message and "and 4 more" in message
    assert all(len(part) < 40 for part in message.split("'")[1::2])  # every quoted value cut short


def test_a_text_encoding_round_trips_and_a_damaged_one_is_refused():
    table = {"text": [f"word{i} and more words here" for i in range(30)]}
    encoder = TableEncoder().fit(table)
    config = json.loads(json.dumps(encoder.get_config()))
    np.testing.assert_array_equal(TableEncoder.from_config(config).transform(table), encoder.transform(table))
    config["columns"][0]["vectorizer"]["idf"] = None
    with pytest.raises(ValueError, match="table encoding is damaged"):
        TableEncoder.from_config(config)
