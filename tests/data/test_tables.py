"""Tables as they come: text categories, missing cells, ID columns, odd CSV dialects; TableEncoder."""

import json
import warnings

import numpy as np
import pytest

from numpynn.apps.cli import main
from numpynn.data.preprocessing import TableEncoder


def penguins_csv(path, rows=90, seed=0, delimiter=",", bom=False):
    """A penguins-like table: species (target), island and sex as text, numbers with gaps, an ID column,
    a quoted comma, a UTF-8 column name. Species is decided by bill length and island."""
    rng = np.random.default_rng(seed)
    species = np.array(["Adelie", "Gentoo", "Chinstrap"])[np.arange(rows) % 3]
    bill = np.where(species == "Adelie", 38.0, np.where(species == "Gentoo", 47.0, 49.0)) + rng.normal(0, 1.0, rows)
    island = np.where(species == "Chinstrap", "Dream", np.where(species == "Gentoo", "Biscoe", "Torgersen"))
    lines = [delimiter.join(["id", "species", "island", "bill_length_mm", "sex", "note", "Körpergewicht (g)"])]
    for i in range(rows):
        bill_cell = "NA" if i % 10 == 4 else f"{bill[i]:.1f}"
        sex = ["male", "female", ""][i % 3 if i % 7 else 2]
        note = '"big, loud"' if i % 5 == 0 else "quiet"
        weight = "?" if i % 11 == 0 else str(3000 + 10 * (i % 50))
        lines.append(delimiter.join([f"P{i:04d}", species[i], island[i], bill_cell, sex, note, weight]))
    text = "\n".join(lines) + "\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def test_encoder_types_imputes_and_one_hot_encodes():
    table = {"n": ["1", "2", "NA", "4"], "c": ["a", "b", "", "a"], "id": ["x1", "x2", "x3", "x4"]}
    encoder = TableEncoder().fit(table)
    kinds = {spec["name"]: spec["kind"] for spec in encoder.columns}
    assert kinds == {"n": "numeric", "c": "categorical", "id": "categorical"}  # 4 rows: too few to call it an ID
    x = encoder.transform(table)
    assert x.dtype == np.float32 and encoder.feature_names[:4] == ["n", "n missing", "c=a", "c=b"]
    n = np.array([1, 2, 2, 4.0])  # the median of 1, 2, 4 fills the gap
    np.testing.assert_allclose(x[:, 0], (n - n.mean()) / n.std(), rtol=1e-6)
    np.testing.assert_array_equal(x[:, 1], [0, 0, 1, 0])
    np.testing.assert_array_equal(x[:, 2:5], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]])  # a, b, (missing)


def test_encoder_state_is_json_and_reloads_to_the_same_output():
    table = {"n": ["1.5", "2", "", "7"], "c": ["x", "y", "x", "z"]}
    encoder = TableEncoder(na_values=("-",)).fit(table)
    again = TableEncoder.from_config(json.loads(json.dumps(encoder.get_config())))
    new_rows = {"n": ["-", "3"], "c": ["x", "never seen"]}
    with pytest.warns(UserWarning, match="never seen"):
        expected = encoder.transform(new_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(again.transform(new_rows), expected)
    assert expected[1, 2:].tolist() == [0, 0, 0]  # an unseen category is all zeros


def test_encoder_takes_a_dataframe_when_pandas_is_there():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"n": [1.0, None, 3.0], "c": ["a", None, "b"]})
    x = TableEncoder().fit(frame).transform(frame)
    assert x.shape == (3, 2 + 3)


def test_a_row_number_column_is_dropped_as_an_id():
    table = {"row": [str(i) for i in range(30, 60)], "value": [str(i % 7) for i in range(30)]}
    encoder = TableEncoder().fit(table)
    assert [spec["kind"] for spec in encoder.columns] == ["dropped", "numeric"]
    assert "numbers the rows" in encoder.notes[0]


def test_encoder_errors_name_the_column():
    with pytest.raises(ValueError, match=r"no column\(s\) \['nope'\]"):
        TableEncoder(drop=("nope",)).fit({"a": ["1"]})
    encoder = TableEncoder().fit({"a": ["1", "2"]})
    with pytest.raises(ValueError, match="column 'a' row 2: 'two' is not a number"):
        encoder.transform({"a": ["1", "two"]})
    with pytest.raises(ValueError, match="lacks the column"):
        encoder.transform({"b": ["1"]})


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("delimiter,bom", [(",", False), (";", True)])
def test_train_on_a_raw_table_and_predict_raw_rows(delimiter, bom, tmp_path, capsys):
    path = penguins_csv(tmp_path / "penguins.csv", delimiter=delimiter, bom=bom)
    code, out, err = run(capsys, "train", f"csv:{path}", "--target", "species", "--out", tmp_path / "run")
    assert code == 0, err
    assert "column 'id' differs on every row (an ID?): dropped" in err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.9
    report = (tmp_path / "run" / "report.html").read_text()
    assert "Columns as understood" in report and "one-hot, 3 categories: Biscoe, Dream, Torgersen" in report
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "island,bill_length_mm,sex,note,Körpergewicht (g)\nBiscoe,47.5,,quiet,NA\nTorgersen,NA,male,x,3100\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "predict", tmp_path / "run", rows)
    assert code == 0, err
    assert out.splitlines()[0].startswith("row 1: Gentoo") and out.splitlines()[1].startswith("row 2: Adelie")


def test_table_options_and_rows_without_a_target(tmp_path, capsys):
    path = penguins_csv(tmp_path / "p.csv")
    text = path.read_text().splitlines()
    text[5] = text[5].replace(",Gentoo,", ",,")  # one row has no species
    path.write_text("\n".join(text) + "\n")
    code, out, err = run(
        capsys,
        "train",
        f"csv:{path}",
        "--target",
        "species",
        "--epochs",
        "5",
        "--drop",
        "note",
        "--categorical",
        "Körpergewicht (g)",
        "--na",
        "quiet",
        "--out",
        tmp_path / "run",
    )
    assert code == 0, err
    assert "1 row(s) with no 'species' value left out" in err
    encoder = json.loads((tmp_path / "run" / "preprocessing.json").read_text())["encoder"]
    kinds = {spec["name"]: spec["kind"] for spec in encoder["columns"]}
    assert kinds["note"] == "dropped" and kinds["Körpergewicht (g)"] == "categorical"
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert "--drop note" in config["command"] and "--categorical 'Körpergewicht (g)'" in config["command"]
    code, out, err = run(
        capsys, "train", f"csv:{path}", "--target", "species", "--drop", "wingspan", "--out", tmp_path / "r2"
    )
    assert code == 2 and "no column(s) ['wingspan']" in err
    code, out, err = run(capsys, "train", "breast-cancer", "--drop", "x", "--out", tmp_path / "r3")
    assert code == 2 and "--drop applies to CSV files" in err
