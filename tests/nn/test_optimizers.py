import importlib.util

import numpy as np
import pytest

from numpynn.nn import optimizers, schedules


def run(optimizer, grads, p0):
    """Apply a sequence of gradients to a copy of p0 with one optimizer; returns the parameters after each step."""
    param = p0.copy()
    history = []
    for g in grads:
        optimizer.apply_gradients([("w", param, g)])
        history.append(param.copy())
    return history


@pytest.fixture
def problem(rng):
    p0 = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(4)]
    return p0, grads


def test_sgd_plain_momentum_nesterov_and_l2(problem):
    p0, grads = problem
    lr, mu, wd = 0.1, 0.9, 0.01
    for nesterov in (False, True):
        p, buf = p0.copy(), np.zeros_like(p0)
        got = run(optimizers.SGD(lr, momentum=mu, nesterov=nesterov, weight_decay=wd), grads, p0)
        for g, after in zip(grads, got):
            g = g + wd * p
            buf = mu * buf + g
            p = p - lr * (g + mu * buf if nesterov else buf)
            np.testing.assert_allclose(after, p, rtol=1e-12)
    got = run(optimizers.SGD(lr), grads, p0)
    np.testing.assert_allclose(got[-1], p0 - lr * sum(grads), rtol=1e-12)


def test_adam_and_adamw_match_the_formulas(problem):
    p0, grads = problem
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    for cls, wd in ((optimizers.Adam, 0.0), (optimizers.Adam, 0.1), (optimizers.AdamW, 0.1)):
        p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
        got = run(cls(lr, beta_1=b1, beta_2=b2, epsilon=eps, weight_decay=wd), grads, p0)
        for t, (g, after) in enumerate(zip(grads, got), start=1):
            if cls is optimizers.AdamW:
                p = p * (1 - lr * wd)
            else:
                g = g + wd * p
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            p = p - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
            np.testing.assert_allclose(after, p, rtol=1e-12)


def test_rmsprop_with_and_without_momentum(problem):
    p0, grads = problem
    lr, rho, eps = 0.01, 0.9, 1e-7
    for mu in (0.0, 0.5):
        p, v, buf = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
        got = run(optimizers.RMSprop(lr, rho=rho, momentum=mu, epsilon=eps), grads, p0)
        for g, after in zip(grads, got):
            v = rho * v + (1 - rho) * g * g
            step = g / (np.sqrt(v) + eps)
            buf = mu * buf + step
            p = p - lr * (buf if mu else step)
            np.testing.assert_allclose(after, p, rtol=1e-12)


def test_clipnorm_per_variable_and_global():
    g = np.array([3.0, 4.0])  # norm 5
    p = np.zeros(2)
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([("a", p, g)])
    np.testing.assert_allclose(p, [-0.6, -0.8])
    p1, p2 = np.zeros(2), np.zeros(2)
    optimizers.SGD(1.0, global_clipnorm=5.0).apply_gradients([("a", p1, g), ("b", p2, g)])  # total norm 5*sqrt(2)
    np.testing.assert_allclose(p1, -g / np.sqrt(2), rtol=1e-6)
    np.testing.assert_array_equal(g, [3.0, 4.0])  # the caller's gradient is not modified


def test_schedule_as_learning_rate_is_evaluated_per_step():
    schedule = schedules.InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(schedule)
    p = np.zeros(1)
    for _ in range(3):
        opt.apply_gradients([("a", p, np.ones(1))])
    np.testing.assert_allclose(p, -(1 + 1 / 1.5 + 1 / 2))
    assert opt.current_learning_rate() == pytest.approx(1 / 2.5)


def test_schedules_values():
    assert schedules.InverseTimeDecay(0.1, 10, 0.5)(20) == pytest.approx(0.1 / 2)
    assert schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True)(19) == pytest.approx(0.1 / 1.5)
    assert schedules.ExponentialDecay(0.1, 100, 0.5)(200) == pytest.approx(0.025)
    assert schedules.ExponentialDecay(0.1, 100, 0.5, staircase=True)(150) == pytest.approx(0.05)
    piecewise = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [piecewise(s) for s in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    cosine = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=1.0, warmup_steps=10, alpha=0.1)
    assert cosine(0) == 0 and cosine(5) == pytest.approx(0.5) and cosine(10) == pytest.approx(1.0)
    assert cosine(60) == pytest.approx(0.1 + 0.9 * 0.5)
    assert cosine(110) == pytest.approx(0.1) and cosine(500) == pytest.approx(0.1)
    steps = np.arange(0, 120)
    np.testing.assert_allclose(cosine(steps), [cosine(int(s)) for s in steps])
    with pytest.raises(ValueError, match="one more value"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0])


def test_optimizer_state_keeps_the_parameter_dtype():
    p = np.ones(4, dtype=np.float32)
    opt = optimizers.Adam(1e-3, weight_decay=0.1)
    opt.apply_gradients([("a", p, np.ones(4, dtype=np.float32))])
    assert p.dtype == np.float32
    assert all(a.dtype == np.float32 for slot in opt.slots.values() for a in slot.values())


def test_state_is_flushed_before_it_turns_subnormal():
    p = np.ones(3, dtype=np.float32)
    opt = optimizers.Adam(1e-3)
    opt.apply_gradients([("a", p, np.full(3, 1e-3, dtype=np.float32))])
    tiny = np.finfo(np.float32).tiny
    for _ in range(2000):  # zero gradients: m decays by 0.9 per step, through the subnormal range
        opt.apply_gradients([("a", p, np.zeros(3, dtype=np.float32))])
        m = opt.slots["m"]["a"]
        assert not np.any((m != 0) & (np.abs(m) < tiny)), f"subnormal moment at step {opt.iterations}"


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop"])
def test_optimizers_by_name_and_bad_arguments(name):
    assert optimizers.get(name).name == name
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.get({"name": name, "learning_rate": -1.0})


def test_unknown_optimizer_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown optimizer 'adagrad'.*adam"):
        optimizers.get("adagrad")


requires_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="optional cross-check: PyTorch is not installed"
)


@requires_torch
@pytest.mark.parametrize(
    "ours,torch_name,torch_kwargs",
    [
        (
            lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
            "SGD",
            dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        ),
        (
            lambda: optimizers.Adam(0.01, epsilon=1e-8, weight_decay=0.01),
            "Adam",
            dict(lr=0.01, eps=1e-8, weight_decay=0.01),
        ),
        (
            lambda: optimizers.AdamW(0.01, epsilon=1e-8, weight_decay=0.1),
            "AdamW",
            dict(lr=0.01, eps=1e-8, weight_decay=0.1),
        ),
        (
            lambda: optimizers.RMSprop(0.01, rho=0.99, momentum=0.5, epsilon=1e-8),
            "RMSprop",
            dict(lr=0.01, alpha=0.99, momentum=0.5, eps=1e-8),
        ),
    ],
)
def test_updates_match_torch_optim(ours, torch_name, torch_kwargs, problem):
    import torch

    p0, grads = problem
    got = run(ours(), grads, p0)
    tp = torch.tensor(p0, requires_grad=True)
    opt = getattr(torch.optim, torch_name)([tp], **torch_kwargs)
    for g, after in zip(grads, got):
        tp.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(after, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_clipnorm_in_a_model_clips_each_kernel_and_bias_on_its_own(rng):
    """A Sequential packs its parameters into one vector; clipnorm must still act per variable (Keras)."""
    import numpynn as nn

    x, y = rng.normal(size=(32, 6)), rng.integers(0, 3, 32)

    def one_step(**clip):
        model = nn.Sequential(
            [nn.Dense(5, activation="relu", input_dim=6), nn.Dense(3, activation="softmax")], dtype="float64", seed=0
        )
        model.compile(optimizers.SGD(1.0, **clip), "sparse_categorical_crossentropy")
        before = model.get_weights()
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        return [b - a for b, a in zip(before, model.get_weights())]  # = the (clipped) gradient

    gradients = one_step()
    norms = np.array([np.linalg.norm(g) for g in gradients])
    limit = float(np.median(norms))  # some variables get clipped, some do not
    assert (norms > limit).any() and (norms < limit).any()
    for got, g, norm in zip(one_step(clipnorm=limit), gradients, norms):
        np.testing.assert_allclose(got, g * min(1.0, limit / norm), rtol=1e-9, atol=1e-15)
    total = np.sqrt(np.sum(norms**2))
    for got, g in zip(one_step(global_clipnorm=limit), gradients):
        np.testing.assert_allclose(got, g * limit / (total + 1e-6), rtol=1e-9, atol=1e-15)


def test_clip_segments_must_cover_the_gradient():
    with pytest.raises(ValueError, match="segments"):
        optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([("a", np.zeros(4), np.ones(4))], {"a": [1, 2]})
