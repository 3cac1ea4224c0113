"""ONNX export: onnxruntime's outputs equal model.predict, for every layer, option and run kind."""

import json

import numpy as np
import pytest
from conftest import requires_mnist

import numpynn as nn
from numpynn.apps.cli import main

ort = pytest.importorskip("onnxruntime", reason="ONNX export is tested with onnxruntime: pip install 'numpynn[onnx]'")


def run_onnx(data: bytes, x: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]


def every_layer_model():
    """Every exportable layer and option: paddings, strides, both poolings, batch norm on images and on
    features, dropout, flatten, Activation layers and every activation."""
    model = nn.Sequential(
        [
            nn.Conv2D(4, 3, padding="same", activation="relu", input_shape=(11, 11, 2)),
            nn.BatchNormalization(),
            nn.Conv2D(5, 3, strides=2, padding=1, activation="leaky_relu"),
            nn.MaxPooling2D(2),
            nn.Conv2D(6, (2, 1), activation="tanh"),
            nn.AveragePooling2D(2, strides=1),
            nn.Conv2D(3, 1, padding="valid", use_bias=False),
            nn.Activation("sigmoid"),
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Dense(8, activation="linear"),
            nn.BatchNormalization(),
            nn.Activation({"name": "leaky_relu", "alpha": 0.2}),
            nn.Dense(3, activation="softmax"),
        ],
        seed=0,
    )
    rng = np.random.default_rng(1)
    for layer in model.layers:  # batch-norm statistics other than 0 and 1
        for array in layer.state.values():
            array[...] = rng.uniform(0.5, 1.5, array.shape)
    return model


def test_every_layer_and_option_matches_predict(tmp_path):
    model = every_layer_model()
    x = np.random.default_rng(2).normal(size=(16, 11, 11, 2)).astype(np.float32)
    data = model.to_onnx(tmp_path / "m.onnx")
    assert (tmp_path / "m.onnx").read_bytes() == data
    np.testing.assert_allclose(run_onnx(data, x), model.predict(x), atol=1e-5)


def test_global_average_pooling_and_a_sigmoid_output():
    model = nn.Sequential(
        [nn.Conv2D(4, 3, input_shape=(7, 7, 3)), nn.GlobalAveragePooling2D(), nn.Dense(1, activation="sigmoid")], seed=0
    )
    x = np.random.default_rng(0).normal(size=(5, 7, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(model.to_onnx(), x), model.predict(x), atol=1e-5)


def _randomise_statistics(model, rng):
    for layer in model.layers:
        for key in list(layer.state):
            layer.state[key][...] = rng.uniform(0.5, 1.5, layer.state[key].shape)


SEQUENCE_MODELS = {
    "rnn-relu-backwards-steps": lambda: [
        nn.SimpleRNN(4, activation="relu", return_sequences=True, go_backwards=True),
        nn.LSTM(3, go_backwards=True),
    ],
    "lstm-steps-gru": lambda: [nn.LSTM(5, return_sequences=True), nn.BatchNormalization(), nn.GRU(4)],
    "gru-backwards-steps-pooling": lambda: [
        nn.GRU(4, return_sequences=True, go_backwards=True),
        nn.GlobalMaxPooling1D(),
    ],
    "bidirectional-concat": lambda: [nn.Bidirectional(nn.LSTM(3, return_sequences=True)), nn.Bidirectional(nn.GRU(2))],
    "bidirectional-merges": lambda: [
        nn.Bidirectional(nn.SimpleRNN(3, return_sequences=True), "sum"),
        nn.Bidirectional(nn.GRU(3, return_sequences=True), "mul"),
        nn.Bidirectional(nn.LSTM(2), "ave"),
    ],
    "conv1d-layernorm": lambda: [
        nn.Conv1D(4, 3, padding="causal", activation="relu"),
        nn.LayerNormalization(),
        nn.Conv1D(3, 2, strides=2, padding="same"),
        nn.GlobalAveragePooling1D(),
    ],
    "residual-sequence": lambda: [
        nn.Conv1D(4, 3, padding="same"),
        nn.Residual([nn.Conv1D(4, 3, padding="same", activation="relu"), nn.LayerNormalization()], activation="relu"),
        nn.LSTM(3),
    ],
}


@pytest.mark.parametrize("name", list(SEQUENCE_MODELS))
def test_sequence_layers_match_predict(name):
    rng = np.random.default_rng(3)
    model = nn.Sequential(SEQUENCE_MODELS[name]() + [nn.Dense(3, activation="softmax")], seed=0)
    model.build((7, 2))
    for layer in model.layers:  # biases other than zero, so their gate order is checked too
        for key in [key for key in layer.params if key.endswith("b")]:
            layer.params[key][...] = rng.normal(size=layer.params[key].shape)
    _randomise_statistics(model, rng)
    x = rng.normal(size=(5, 7, 2)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(model.to_onnx(), x), model.predict(x, verbose=0), atol=1e-5)


def test_residual_blocks_on_images_match_predict():
    from numpynn.models.specs import build_model

    rng = np.random.default_rng(4)
    model = build_model("conv:4,bn,res(conv:4,bn,conv:4,bn),res(conv:6,bn,conv:6,pool),gap", (10, 10, 1), 3, seed=0)
    for layer in model.layers:
        for key in list(layer.state):  # the blocks' batch-norm statistics too
            layer.state[key][...] = rng.uniform(0.5, 1.5, layer.state[key].shape)
    x = rng.normal(size=(4, 10, 10, 1)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(model.to_onnx(), x), model.predict(x, verbose=0), atol=1e-5)


def test_token_ids_go_in_as_int64():
    model = nn.Sequential([nn.Embedding(11, 4), nn.GRU(3), nn.Dense(1, activation="sigmoid")], seed=0)
    ids = np.random.default_rng(5).integers(0, 11, size=(6, 5))
    model.build((5,))
    np.testing.assert_allclose(
        run_onnx(model.to_onnx(), ids.astype(np.int64)), model.predict(ids, verbose=0), atol=1e-5
    )


def test_an_unsupported_layer_is_named():
    from numpynn.nn.layers import Layer

    class Twice(Layer):
        def forward(self, x, training=False):
            return 2 * x

        def backward(self, grad_output):
            return 2 * grad_output

    model = nn.Sequential([nn.Dense(2, input_dim=3), Twice()], seed=0)
    with pytest.raises(ValueError, match="no converter for Twice layer 'twice'"):
        model.to_onnx()


@requires_mnist
@pytest.mark.parametrize("spec", ["dense:512,dropout:0.2,dense:512,dropout:0.2", "cnn"])
def test_the_mnist_presets_on_the_10000_test_images(spec):
    from numpynn.models.specs import build_model

    _, (x, _) = nn.datasets.load_mnist(download=False)
    pixels = x.astype(np.float32)[..., None] if spec == "cnn" else x.astype(np.float32)
    model = build_model(spec, pixels.shape[1:], 10, seed=0)
    data = model.to_onnx(preprocess={"pixel_scale": 255.0})  # the graph takes raw pixels
    exported = run_onnx(data, pixels)
    expected = model.predict(pixels / np.float32(255))
    np.testing.assert_allclose(exported, expected, atol=1e-5)
    np.testing.assert_array_equal(exported.argmax(axis=1), expected.argmax(axis=1))


def test_export_a_run_with_its_preprocessing(tmp_path, capsys):
    assert main(["train", "breast-cancer", "--epochs", "30", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "bc.onnx")]) == 0
    out = capsys.readouterr().out
    assert "raw numeric columns" in out and "probability of benign" in out
    data = nn.datasets.load_breast_cancer()
    model = nn.load_model(tmp_path / "run" / "model.npz")
    preprocessing = json.loads((tmp_path / "run" / "preprocessing.json").read_text())
    scaled = nn.preprocessing.StandardScaler.from_state(
        preprocessing["scaler_mean"], preprocessing["scaler_scale"]
    ).transform(data.x)
    exported = run_onnx((tmp_path / "bc.onnx").read_bytes(), data.x)  # raw columns in
    np.testing.assert_allclose(exported, model.predict(scaled), atol=1e-5)


def test_export_a_regression_maps_back_to_the_target_units(tmp_path, capsys):
    assert main(["train", "diabetes", "--epochs", "20", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "d.onnx")]) == 0
    data = nn.datasets.load_diabetes()
    exported = run_onnx((tmp_path / "d.onnx").read_bytes(), data.x)[:, 0]
    rows = tmp_path / "rows.csv"
    lines = [",".join(data.feature_names)] + [",".join(repr(float(v)) for v in row) for row in data.x[:5]]
    rows.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "run"), str(rows)]) == 0
    predicted = [float(line.split(": ")[1]) for line in capsys.readouterr().out.splitlines()]
    np.testing.assert_allclose(exported[:5], predicted, rtol=1e-4)


def test_export_of_a_table_with_text_writes_the_encoding_beside(tmp_path, capsys):
    lines = ["colour,size,label"] + [f"{'red' if i % 2 else 'blue'},{i % 7},{'a' if i % 2 else 'b'}" for i in range(60)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    assert (
        main(
            [
                "train",
                f"csv:{tmp_path / 't.csv'}",
                "--target",
                "label",
                "--epochs",
                "5",
                "--out",
                str(tmp_path / "run"),
                "--quiet",
            ]
        )
        == 0
    )
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "t.onnx")]) == 0
    assert "TableEncoder" in capsys.readouterr().out
    encoder = json.loads((tmp_path / "t.onnx.encoder.json").read_text())
    assert [spec["kind"] for spec in encoder["columns"]] == ["categorical", "numeric"]
