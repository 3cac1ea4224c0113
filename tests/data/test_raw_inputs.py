"""Pictures of digits (dark on white, large, off-centre, RGB, JPEG) are read the way MNIST's digits were."""

import numpy as np
from conftest import requires_mnist
from PIL import Image

import numpynn as nn
from numpynn.data.raw_inputs import image_inputs, mnist_digit


def as_picture(digit: np.ndarray, rng, size=200) -> Image.Image:
    """An MNIST digit as someone would draw or photograph it: dark ink on light paper, scaled up 3-6x,
    somewhere in a large RGB picture, with a little noise on the paper."""
    scale = rng.uniform(3, 6)
    side = int(28 * scale)
    ink = Image.fromarray(255 - digit).resize((side, side), Image.LANCZOS)
    paper = np.clip(rng.normal(235, 6, (size, size)), 0, 255).astype(np.uint8)
    top, left = rng.integers(0, size - side + 1, 2)
    region = paper[top : top + side, left : left + side]
    paper[top : top + side, left : left + side] = np.minimum(region, np.asarray(ink))
    return Image.fromarray(paper).convert("RGB")


def test_mnist_digit_centres_the_mass_and_fits_a_20_pixel_box():
    picture = np.zeros((100, 60), np.float32)
    picture[10:50, 40:50] = 1.0  # a tall bar near the top right
    digit = mnist_digit(picture)
    rows, cols = np.nonzero(digit > 0.5)
    assert digit.shape == (28, 28) and rows.max() - rows.min() + 1 in (19, 20, 21)
    centre = (digit.sum(axis=1) @ np.arange(28) / digit.sum(), digit.sum(axis=0) @ np.arange(28) / digit.sum())
    assert abs(centre[0] - 13.5) <= 1 and abs(centre[1] - 13.5) <= 1
    assert not mnist_digit(np.full((30, 30), 0.7, np.float32)).any()  # a blank picture stays blank


@requires_mnist
def test_pictures_of_test_digits_keep_their_label(tmp_path):
    (x, y), (x_test, y_test) = nn.datasets.load_mnist(download=False)
    model = nn.Sequential(
        [nn.Flatten(input_shape=(28, 28)), nn.Dense(256, activation="relu"), nn.Dense(10, activation="softmax")], seed=0
    )
    model.compile(nn.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(
        nn.preprocessing.scale_pixels(x),
        y,
        epochs=3,
        batch_size=128,
        verbose=0,
        augment=lambda batch, rng: nn.preprocessing.random_shift(batch, 1, rng),
    )
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(x_test), 300, replace=False)
    files = []
    for i in chosen:
        path = tmp_path / f"{i}.{'jpg' if i % 3 == 0 else 'png'}"
        as_picture(x_test[i], rng).save(path)
        files.append(path)
    pictures = image_inputs(files, {"dataset": "mnist", "input_shape": [28, 28]}, {"pixel_scale": 255.0})
    from_pictures = model.predict_labels(pictures)
    from_originals = model.predict_labels(nn.preprocessing.scale_pixels(x_test[chosen]))
    agreement = float(np.mean(from_pictures == from_originals))
    accuracy = float(np.mean(from_pictures == y_test[chosen]))
    assert agreement >= 0.95 and accuracy >= 0.94, (agreement, accuracy)
