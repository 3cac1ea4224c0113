"""Regression: the task chosen from the target, standardised targets, scores in the target's units."""

import json

import numpy as np
import pytest

import numpynn as nn
from numpynn.apps.cli import main
from numpynn.data.sources import choose_task
from numpynn.nn.metrics import regression_scores


def test_regression_scores_equal_scikit_learns(rng):
    sk_metrics = pytest.importorskip("sklearn.metrics")
    y_true, y_pred = rng.normal(size=50) * 10, rng.normal(size=50) * 10
    scores = regression_scores(y_true, y_pred)
    assert scores["mae"] == pytest.approx(sk_metrics.mean_absolute_error(y_true, y_pred), rel=1e-12)
    assert scores["rmse"] == pytest.approx(np.sqrt(sk_metrics.mean_squared_error(y_true, y_pred)), rel=1e-12)
    assert scores["r2"] == pytest.approx(sk_metrics.r2_score(y_true, y_pred), rel=1e-12)


def test_huber_loss_is_gradient_checked_and_quadratic_then_linear(rng):
    huber = nn.losses.Huber(delta=1.0)
    assert nn.gradcheck(huber, rng.normal(size=(8, 1)) * 3, rng.normal(size=(8, 1))).ok
    assert huber.value(np.array([[0.5], [3.0]]), np.zeros((2, 1))) == pytest.approx((0.125 + 2.5) / 2)
    assert nn.losses.get({"name": "huber", "delta": 2.0}).delta == 2.0


def test_the_task_follows_the_target():
    assert choose_task([str(v) for v in range(100)])[0] == "regression"
    assert choose_task(["1", "2", "3"] * 30)[0] == "classification"  # numbers, but only 3 distinct values
    assert choose_task(["a", "b"] * 30) == ("classification", "the target holds text")
    assert choose_task(["1", "2"] * 30, "regression")[0] == "regression"
    with pytest.raises(ValueError, match="--task regression needs a numeric target"):
        choose_task(["a", "b"], "regression")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_numeric_target_trains_a_regression_and_predicts_in_its_units(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    price = 1000 + 200 * x[:, 0] - 100 * x[:, 1] + rng.normal(0, 10, 300)
    district = np.where(x[:, 2] > 0, "north", "south")
    price += np.where(district == "north", 150, 0)
    lines = ["size,age,district,price"] + [
        f"{a:.3f},{b:.3f},{d},{p:.1f}" for (a, b, _), d, p in zip(x, district, price)
    ]
    (tmp_path / "houses.csv").write_text("\n".join(lines) + "\n")
    code, out, err = run(
        capsys, "train", f"csv:{tmp_path / 'houses.csv'}", "--target", "price", "--out", tmp_path / "run"
    )
    assert code == 0, err
    assert "regression (the target is numeric with 293 distinct values)" in err  # prices rounded to 0.1
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    test = metrics["test"]
    assert test["r2"] > 0.95 and test["baseline"]["r2"] < 0.05 and test["mae"] < 40
    figures = sorted(p.name for p in (tmp_path / "run" / "figures").iterdir())
    assert figures == ["history.png", "inside_importance.png", "learning_rate.png", "regression.png"]
    report = (tmp_path / "run" / "report.html").read_text()
    assert "Test R^2 <b>" in report and "baseline R^2" in report and "Columns as understood" in report
    rows = tmp_path / "rows.csv"
    rows.write_text("size,age,district\n0,0,south\n1,0,north\n")
    code, out, err = run(capsys, "predict", tmp_path / "run", rows, "--out", tmp_path / "p.csv")
    assert code == 0, err
    values = [float(line.split(": ")[1]) for line in out.splitlines()]
    assert values[0] == pytest.approx(1000, abs=40) and values[1] == pytest.approx(1350, abs=40)
    assert (tmp_path / "p.csv").read_text().splitlines()[0] == "row,predicted price"
    code, out, err = run(capsys, "evaluate", tmp_path / "run")
    assert code == 0 and "(same)" in out


def test_diabetes_is_a_regression_set(tmp_path, capsys):
    pytest.importorskip("sklearn")
    code, out, err = run(capsys, "train", "diabetes", "--epochs", "30", "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    assert out.startswith("test R^2 ")
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["task"] == "regression" and "--task regression" in config["command"]
