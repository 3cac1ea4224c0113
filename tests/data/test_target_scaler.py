"""TargetScaler: the one place a regression target is standardised and mapped back to its units."""

import numpy as np
import pytest

from numpynn.data.preprocessing import TargetScaler
from numpynn.errors import InputError


def test_fit_transform_and_inverse_round_trip_in_float64():
    y = np.random.default_rng(0).normal(50, 12, 200)
    scaler = TargetScaler.fit(y)
    assert scaler.mean == pytest.approx(y.mean()) and scaler.scale == pytest.approx(y.std())
    standardised = scaler.transform(y)
    assert standardised.dtype == np.float32
    np.testing.assert_array_equal(standardised, ((y - y.mean()) / y.std()).astype(np.float32))  # as before, bit for bit
    back = scaler.inverse_transform(standardised)
    assert back.dtype == np.float64
    np.testing.assert_allclose(back, y, rtol=1e-6)


def test_a_constant_target_keeps_scale_one_and_the_config_round_trips():
    scaler = TargetScaler.fit(np.full(10, 3.5))
    assert (scaler.mean, scaler.scale) == (3.5, 1.0)
    again = TargetScaler.from_config(scaler.get_config())
    assert again.get_config() == {"mean": 3.5, "scale": 1.0}


@pytest.mark.parametrize("mean, scale", [(0.0, 0.0), (0.0, -1.0), (float("nan"), 1.0), (0.0, float("inf"))])
def test_a_nonsense_scaling_is_refused(mean, scale):
    with pytest.raises(InputError, match="positive scale"):
        TargetScaler(mean, scale)
