"""numpynn/kernels/parallel.py: element-wise passes split over threads give the single-thread result bit for bit."""

import os
import threading

import numpy as np
import pytest

import numpynn as nn
from numpynn.kernels import parallel


def test_split_rows_covers_every_row_once_and_uses_threads(monkeypatch):
    monkeypatch.setenv("NUMPYNN_THREADS", "3")
    rows, seen = 1000, np.zeros(1000, dtype=np.int64)
    all_three_running = threading.Barrier(3, timeout=10)  # broken (an error) unless three parts run at once

    def work(part: slice) -> None:
        seen[part] += 1
        if part.start in (0, 300, 600):  # the first of each thread's parts: 0-2, 3-5, 6-9
            all_three_running.wait()

    parallel.split_rows(work, rows, elements=rows * parallel.PART_ELEMENTS // 100)  # 10 parts
    assert (seen == 1).all()


def test_small_passes_and_one_thread_stay_on_the_calling_thread(monkeypatch):
    names = set()
    parallel.split_rows(lambda part: names.add(threading.current_thread().name), 64, parallel.MIN_ELEMENTS - 1)
    monkeypatch.setenv("NUMPYNN_THREADS", "1")
    parallel.split_rows(lambda part: names.add(threading.current_thread().name), 64, 10 * parallel.MIN_ELEMENTS)
    assert names == {threading.current_thread().name}


def test_a_split_inside_a_part_runs_in_place_instead_of_waiting_on_the_busy_pool(monkeypatch):
    monkeypatch.setenv("NUMPYNN_THREADS", "2")
    total = np.zeros(100)

    def inner(part: slice) -> None:
        total[part] += 1

    def outer(part: slice) -> None:  # both threads busy here; a nested split that queued would never run
        parallel.split_rows(
            lambda rows: inner(slice(part.start + rows.start, part.start + rows.stop)),
            part.stop - part.start,
            10 * parallel.PART_ELEMENTS,
        )

    done = threading.Event()
    threading.Thread(
        target=lambda: (parallel.split_rows(outer, 100, 10 * parallel.PART_ELEMENTS), done.set()), daemon=True
    ).start()
    assert done.wait(timeout=20), "a nested split deadlocked"
    assert (total == 1).all()


def test_an_error_in_a_part_is_raised_to_the_caller(monkeypatch):
    monkeypatch.setenv("NUMPYNN_THREADS", "2")

    def work(part: slice) -> None:
        if part.start > 0:
            raise ValueError("second half")

    with pytest.raises(ValueError, match="second half"):
        parallel.split_rows(work, 100, 100 * parallel.PART_ELEMENTS)


@pytest.mark.parametrize("value, expected", [("2", 2), ("0", None), ("x", None)])
def test_thread_count_reads_numpynn_threads(monkeypatch, value, expected):
    monkeypatch.setenv("NUMPYNN_THREADS", value)
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    assert parallel.thread_count() == (expected or 5)


def _conv_pool_step(threads: str, monkeypatch) -> list[np.ndarray]:
    monkeypatch.setenv("NUMPYNN_THREADS", threads)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 12, 12, 3)).astype(np.float32)
    x[:, :2, :2] = 0.5  # ties inside pooling windows: the first maximum must win on every thread count
    model = nn.Sequential(
        [
            nn.Conv2D(8, 3, padding="same", activation="relu", input_shape=(12, 12, 3)),
            nn.MaxPooling2D(2),
            nn.Conv2D(8, 3, strides=2, padding=1, activation="relu"),
            nn.MaxPooling2D(2, strides=1),
            nn.Flatten(),
            nn.Dense(4, activation="softmax"),
        ],
        seed=0,
    )
    model.compile(nn.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    model.train_step(x, rng.integers(0, 4, 96))
    return [model.predict(x, batch_size=96)] + [
        layer.grads[key].copy() for layer in model.layers for key in sorted(layer.grads)
    ]


def test_threads_do_not_change_a_single_bit(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 1)  # split even these small arrays
    monkeypatch.setattr(parallel, "PART_ELEMENTS", 1000)
    single, split = _conv_pool_step("1", monkeypatch), _conv_pool_step("3", monkeypatch)
    assert len(single) == len(split) > 4
    for one, many in zip(single, split):
        np.testing.assert_array_equal(one, many)


def test_a_forked_child_makes_its_own_pool(monkeypatch):
    monkeypatch.setenv("NUMPYNN_THREADS", "2")
    parallel.split_rows(lambda part: None, 10, 10 * parallel.PART_ELEMENTS)  # the parent's pool exists
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        seen = np.zeros(10)
        parallel.split_rows(lambda part: seen.__setitem__(part, 1), 10, 10 * parallel.PART_ELEMENTS)
        os.write(write, b"ok" if seen.all() else b"no")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 2) == b"ok"


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.optimizers.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda: nn.optimizers.Adam(1e-2, weight_decay=0.01),
        lambda: nn.optimizers.AdamW(1e-2),
        lambda: nn.optimizers.RMSprop(1e-2, momentum=0.5, weight_decay=0.01),
    ],
)
def test_optimizer_steps_split_over_threads_are_bit_identical(monkeypatch, make):
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(parallel, "PART_ELEMENTS", 7)
    rng = np.random.default_rng(0)
    start = {
        "packed": rng.normal(size=1000).astype(np.float32),
        "matrix": rng.normal(size=(9, 5)),
        "scalar": np.array(0.5),
    }
    grads = [{key: rng.normal(size=value.shape).astype(value.dtype) for key, value in start.items()} for _ in range(3)]
    finals = []
    for threads in ("1", "3"):
        monkeypatch.setenv("NUMPYNN_THREADS", threads)
        params, optimizer = {key: value.copy() for key, value in start.items()}, make()
        for grad in grads:
            optimizer.apply_gradients((key, params[key], grad[key]) for key in params)
        finals.append(params)
    for key in start:
        np.testing.assert_array_equal(finals[0][key], finals[1][key])
        assert not np.array_equal(finals[0][key], start[key])
