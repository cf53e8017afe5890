"""Every landscape's gradient agrees with finite differences, and its minimum is one."""

from __future__ import annotations

import numpy as np
import pytest

from optimlab import landscapes

ALL = [
    landscapes.quadratic(),
    landscapes.quadratic(a=2.0, b=50.0),
    landscapes.plateau(),
    landscapes.rosenbrock(),
    landscapes.saddle(),
]


@pytest.mark.parametrize("landscape", ALL, ids=lambda s: s.name)
def test_gradient_matches_central_differences(landscape: landscapes.Landscape) -> None:
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(*landscape.xlim, 50), rng.uniform(*landscape.ylim, 50)])
    h = 1e-6
    for point in points:
        numeric = np.array(
            [(landscape(point + h * e) - landscape(point - h * e)) / (2 * h) for e in np.eye(2)]
        )
        analytic = landscape.grad(point)
        assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * (1 + np.abs(numeric).max()))


@pytest.mark.parametrize("landscape", ALL, ids=lambda s: s.name)
def test_minimum_has_zero_gradient_and_lowest_value(landscape: landscapes.Landscape) -> None:
    minimum = np.array(landscape.minimum)
    assert np.allclose(landscape.grad(minimum), 0.0, atol=1e-12)
    grid = np.stack(
        np.meshgrid(np.linspace(*landscape.xlim, 60), np.linspace(*landscape.ylim, 60)), axis=-1
    )
    assert landscape.value(grid).min() >= landscape.min_value - 1e-12


@pytest.mark.parametrize("landscape", ALL, ids=lambda s: s.name)
def test_vectorised_over_grids(landscape: landscapes.Landscape) -> None:
    grid = np.zeros((3, 4, 2))
    assert landscape.value(grid).shape == (3, 4)
    assert landscape.grad(grid).shape == (3, 4, 2)


def test_points_must_have_two_coordinates() -> None:
    with pytest.raises(ValueError, match="last axis of length 2"):
        landscapes.quadratic().value(np.zeros(3))
