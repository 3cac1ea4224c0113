"""Looking inside: LayerStats, the diagnoses (each provoked by a network built to show it), saliency,
feature maps, permutation importance against scikit-learn's, and the report's "Inside" section."""

import csv
import io
import json

import numpy as np
import pytest
from helpers import fake_digits

import numpynn as nn
from numpynn.apps.cli import main
from numpynn.models import inspection
from numpynn.runs.inside.diagnoses import diagnose


def table_task(rng, n=1024, features=20):
    x = rng.normal(size=(n, features)).astype(np.float32)
    return x, (x[:, :3].sum(axis=1) > 0).astype(int)


def train(hidden, optimizer, x, y, epochs=5):
    model = nn.Sequential(hidden + [nn.Dense(1, activation="sigmoid")], seed=0)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    stats = nn.callbacks.LayerStats(x[:256])
    history = model.fit(
        x, y, epochs=epochs, batch_size=64, verbose=0, callbacks=[stats], validation_data=(x[:256], y[:256])
    )
    return {d.kind: d for d in diagnose(stats.rows, history.history, model.layers[-1].name)}, stats, model


def test_layer_stats_measure_what_they_say(rng):
    x, y = table_task(rng, n=128)
    model = nn.Sequential(
        [
            nn.Dense(8, activation="relu"),
            nn.Residual([nn.Dense(8, activation="tanh")]),
            nn.Dense(1, activation="sigmoid"),
        ],
        seed=0,
    )
    model.compile(optimizer=nn.optimizers.SGD(0.1), loss="binary_crossentropy")
    model.build((20,))
    before = model.parameters.copy()
    stats = nn.callbacks.LayerStats(x[:32])
    # One step, so the update is after - before.
    history = model.fit(x, y, epochs=1, batch_size=128, verbose=0, callbacks=[stats])
    rows = {row["layer"]: row for row in stats.rows}
    assert list(rows) == ["dense", "residual/dense", "dense_1"] and history.layer_stats is stats.rows
    weights = model.layers[0].params
    norm = np.sqrt(sum(float(np.sum(a.astype(np.float64) ** 2)) for a in weights.values()))
    assert rows["dense"]["weight_norm"] == pytest.approx(norm)
    step = np.linalg.norm((model.parameters - before)[: sum(a.size for a in weights.values())])
    assert rows["dense"]["update_ratio"] == pytest.approx(step / norm, rel=1e-4)
    assert rows["dense"]["grad_norm"] == pytest.approx(step / 0.1, rel=1e-4)  # SGD: the step is lr * gradient
    hidden = np.maximum(x[:32] @ weights["W"] + weights["b"], 0)
    assert rows["dense"]["act_mean"] == pytest.approx(float(hidden.mean()), rel=1e-5)
    assert rows["dense"]["dead_fraction"] == pytest.approx(float(np.mean(np.all(hidden <= 0, axis=0))))
    assert "saturated_fraction" in rows["residual/dense"] and rows["dense_1"]["activation"] == "sigmoid"
    table = list(csv.DictReader(io.StringIO(stats.to_csv())))
    assert len(table) == 3 and float(table[0]["weight_norm"]) == pytest.approx(norm)


def test_a_healthy_network_provokes_no_diagnosis(rng):
    x, y = table_task(rng)
    hidden = [
        nn.Dense(32, activation="relu", kernel_initializer="he_uniform"),
        nn.Dense(16, activation="relu", kernel_initializer="he_uniform"),
    ]
    found, _, _ = train(hidden, nn.optimizers.Adam(1e-3), x, y)
    assert found == {}


def test_a_huge_learning_rate_is_named(rng):
    x, y = table_task(rng)
    found, _, _ = train(
        [nn.Dense(32, activation="relu"), nn.Dense(16, activation="relu")], nn.optimizers.SGD(3.0), x, y
    )
    assert "lr_high" in found and "learning rate is likely too high" in str(found["lr_high"])


def test_a_deep_sigmoid_stack_shows_vanishing_gradients(rng):
    x, y = table_task(rng)
    found, _, _ = train([nn.Dense(32, activation="sigmoid") for _ in range(10)], nn.optimizers.SGD(0.01), x, y)
    assert found["vanishing"].layer == "dense" and "(vanishing)" in found["vanishing"].message


def test_a_strongly_negative_bias_kills_relus(rng):
    x, y = table_task(rng)
    hidden = [nn.Dense(64, activation="relu"), nn.Dense(64, activation="relu")]
    nn.Sequential(hidden).build((20,))
    for layer in hidden:
        layer.params["b"][...] = -3.0
    found, _, _ = train(hidden, nn.optimizers.Adam(1e-3), x, y)
    assert found["dead_relu"].layer == "dense" and "never fire" in found["dead_relu"].message
    assert "vanishing" not in found  # the dead units explain the missing gradient


def test_saturated_tanh_units_and_history_rules():
    rows = [
        {"epoch": 1, "layer": "dense", "activation": "tanh", "saturated_fraction": 0.8},
        {"epoch": 1, "layer": "out", "activation": "sigmoid", "saturated_fraction": 0.99},
    ]
    assert [d.kind for d in diagnose(rows, output_layer="out")] == ["saturated"]
    falling = list(np.linspace(1.0, 0.1, 12))
    rising = [0.5, 0.4, 0.3, 0.31, 0.33, 0.36, 0.4, 0.45, 0.5, 0.55, 0.6, 0.66]
    overfit = diagnose([], {"loss": falling, "val_loss": rising})
    assert [d.kind for d in overfit] == ["overfitting"] and "overfitting after epoch 3" in overfit[0].message
    noisy = [0.5, 0.4, 0.3, 0.31, 0.32, 0.33, 0.34, 0.35, 0.29, 0.3, 0.31, 0.3]
    assert diagnose([], {"loss": falling, "val_loss": noisy}) == []
    assert diagnose([], {"loss": [1.0, float("nan")], "val_loss": [1.0, 1.0]})[0].kind == "diverged"


def test_layer_stats_survive_a_checkpoint(rng):
    x, y = table_task(rng, n=64)
    _, stats, model = train([nn.Dense(4, activation="relu")], nn.optimizers.Adam(1e-3), x, y, epochs=2)
    state = stats.get_state()
    restored = nn.callbacks.LayerStats(x[:16])
    restored.set_model(model)
    restored.set_state(json.loads(json.dumps(state, default=lambda array: array.tolist())))
    assert restored.rows == stats.rows and set(restored.histograms) == {"first", "last"}


def test_saliency_is_the_gradient_of_the_class_score(rng):
    model = nn.Sequential(
        [
            nn.Conv2D(3, 3, activation="tanh"),
            nn.Flatten(),
            nn.BatchNormalization(),
            nn.Dropout(0.5),
            nn.Dense(4, activation="softmax"),
        ],
        seed=0,
        dtype="float64",
    )
    x = rng.normal(size=(2, 5, 5, 1))
    heat = inspection.saliency(model, x, class_index=2)
    assert heat.shape == x.shape and model.layers[0].needs_input_grad is False  # flags put back

    def score(images):
        return model.forward(images, with_logits=True)[1][:, 2]

    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape[1:]):
        step = np.zeros_like(x)
        step[(slice(None),) + index] = 1e-6
        numeric[(slice(None),) + index] = (score(x + step) - score(x - step)) / 2e-6
    np.testing.assert_allclose(heat, np.abs(numeric), atol=1e-6)
    with pytest.raises(ValueError, match="class_index must lie in"):
        inspection.saliency(model, x, class_index=4)


def test_layer_outputs_and_feature_maps_see_inside_blocks(rng):
    model = nn.Sequential(
        [
            nn.Conv2D(2, 3, padding="same"),
            nn.Residual([nn.Conv2D(2, 3, padding="same")]),
            nn.GlobalAveragePooling2D(),
            nn.Dense(3, activation="softmax"),
        ],
        seed=0,
    )
    x = rng.normal(size=(1, 6, 6, 1)).astype(np.float32)
    outputs = inspection.layer_outputs(model, x)
    assert set(outputs) == {"conv2d", "residual/conv2d", "residual", "global_average_pooling2d", "dense"}
    np.testing.assert_allclose(outputs["dense"], model.predict(x, verbose=0))
    assert "forward" not in vars(model.layers[0])  # the recording wrappers are gone
    assert set(inspection.feature_maps(model, x)) == {"conv2d", "residual/conv2d"}
    with pytest.raises(ValueError, match="no convolutional layers"):
        inspection.feature_maps(nn.Sequential([nn.Dense(2)]), np.ones((1, 3)))


def test_permutation_importance_ranks_breast_cancer_columns_like_scikit_learn():
    pytest.importorskip("sklearn")
    from sklearn.inspection import permutation_importance

    from numpynn.runs.experiment import fit_and_evaluate

    result = fit_and_evaluate("breast-cancer", epochs=60)
    data, model = result.data, result.model
    ours, _ = inspection.permutation_importance(model, data.x_test, data.y_test, "log_loss", repeats=300, seed=0)

    class Fitted:  # scikit-learn's function wants an estimator; the scorer below calls the model directly
        def fit(self, x, y):
            return self

    def log_likelihood(estimator, x, y):
        p = model.predict(x.astype(np.float32), verbose=0)[:, 0].astype(np.float64)
        return float(np.mean(np.log(np.clip(np.where(y == 1, p, 1 - p), 1e-12, 1))))

    theirs = permutation_importance(
        Fitted(), data.x_test, data.y_test, scoring=log_likelihood, n_repeats=300, random_state=0
    ).importances_mean
    top = list(np.argsort(-ours)[:5])
    assert top == list(np.argsort(-theirs)[:5])
    names = [data.feature_names[i] for i in top]
    assert sum(name.startswith("worst") for name in names) >= 3, names  # size and texture at their worst


def test_train_inspect_writes_the_statistics_and_the_report_section(tmp_path, capsys):
    assert (
        main(["train", "breast-cancer", "--epochs", "20", "--inspect", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    )
    rows = list(csv.DictReader((tmp_path / "run" / "layer_stats.csv").open()))
    assert len(rows) == 40 and {row["layer"] for row in rows} == {"dense", "dense_1"}
    page = (tmp_path / "run" / "report.html").read_text()
    assert "Inside the network" in page and "Permutation importance" in page
    for name in ("inside_dynamics.png", "inside_activations.png", "inside_importance.png"):
        assert (tmp_path / "run" / "figures" / name).stat().st_size > 5000
    assert "--inspect 1" in json.loads((tmp_path / "run" / "config.json").read_text())["command"]


def test_a_convolutional_run_shows_filters_feature_maps_and_saliency(tmp_path, capsys):
    x, y = fake_digits(240, size=10)
    x_test, y_test = fake_digits(60, size=10, seed=1)
    y_test[:6] = (y_test[:6] + 1) % 3  # a few wrong labels, so there are mistakes to explain
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x_test, y_test=y_test)
    assert (
        main(
            [
                "train",
                f"npz:{tmp_path / 'd.npz'}",
                "--model",
                "conv:4,pool,conv:4",
                "--epochs",
                "3",
                "--out",
                str(tmp_path / "run"),
                "--quiet",
            ]
        )
        == 0
    )
    figures = tmp_path / "run" / "figures"
    for name in ("inside_filters.png", "inside_feature_maps.png", "inside_saliency.png"):
        assert (figures / name).stat().st_size > 3000
    assert "Train with <code>--inspect</code>" in (tmp_path / "run" / "report.html").read_text()
    assert not (tmp_path / "run" / "layer_stats.csv").exists()  # nothing recorded without --inspect


def test_permutation_importance_shuffles_a_one_hot_block_together(rng):
    category = rng.integers(0, 3, 400)
    x = np.column_stack([rng.normal(size=400), np.eye(3)[category]]).astype(np.float32)
    y = (category == 1).astype(int)
    model = nn.Sequential([nn.Dense(8, activation="relu"), nn.Dense(1, activation="sigmoid")], seed=0)
    model.compile(nn.optimizers.Adam(1e-2), "binary_crossentropy")
    model.fit(x, y, epochs=30, verbose=0)
    mean, std = inspection.permutation_importance(model, x, y, "accuracy", repeats=5, seed=0, groups=[[0], [1, 2, 3]])
    assert mean.shape == std.shape == (2,)
    assert mean[1] > 0.3 and abs(mean[0]) < 0.05  # the category is what y was made from


def test_a_model_that_does_not_learn_and_a_stuck_validation_are_named():
    flat = diagnose([], {"loss": [1.10, 1.08, 1.05, 1.04]})
    assert [d.kind for d in flat] == ["not_learning"] and "not learning" in flat[0].message
    history = {"loss": [1.5, 1.2, 1.0, 0.9], "accuracy": [0.33, 0.4, 0.6, 0.7], "val_accuracy": [1 / 3] * 4}
    stuck = diagnose([{"epoch": 1, "layer": "batch_normalization", "type": "BatchNormalization"}], history)
    assert [d.kind for d in stuck] == ["stuck_validation"] and "lower momentum" in stuck[0].suggestion
    assert "prepared like the training data" in diagnose([], history)[0].suggestion
