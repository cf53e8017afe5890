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


# --- the noisy landscape (stochastic gradients) --------------------------------------------------
NOISY_BASES = [landscapes.quadratic(a=1.0, b=20.0), landscapes.rosenbrock(), landscapes.plateau()]


@pytest.mark.parametrize("base", NOISY_BASES, ids=lambda s: s.name)
def test_noisy_gradient_without_noise_matches_central_differences(
    base: landscapes.Landscape,
) -> None:
    noisy = landscapes.noisy(base, noise=0.0, rng=1)
    rng = np.random.default_rng(2)
    points = np.column_stack([rng.uniform(*noisy.xlim, 30), rng.uniform(*noisy.ylim, 30)])
    h = 1e-6
    for point in points:
        numeric = np.array(
            [(noisy(point + h * e) - noisy(point - h * e)) / (2 * h) for e in np.eye(2)]
        )
        assert np.allclose(
            noisy.grad(point), numeric, rtol=1e-5, atol=1e-6 * (1 + np.abs(numeric).max())
        )


@pytest.mark.parametrize("base", NOISY_BASES, ids=lambda s: s.name)
def test_noisy_gradient_averages_to_the_finite_difference_gradient(
    base: landscapes.Landscape,
) -> None:
    """Unbiased noise of the stated size: the mean of many draws is the true slope."""
    noise, draws = 0.5, 20000
    noisy = landscapes.noisy(base, noise=noise, rng=np.random.default_rng(3))
    point = np.array([0.3, -0.4])
    h = 1e-6
    numeric = np.array([(base(point + h * e) - base(point - h * e)) / (2 * h) for e in np.eye(2)])
    samples = noisy.grad(np.broadcast_to(point, (draws, 2)))
    assert samples.shape == (draws, 2)
    standard_error = noise / np.sqrt(draws)
    assert np.all(np.abs(samples.mean(axis=0) - numeric) < 5 * standard_error + 1e-6)
    assert np.allclose(samples.std(axis=0), noise, rtol=0.03)


def test_noisy_landscape_keeps_the_true_loss_and_minimum() -> None:
    base = landscapes.quadratic(a=1.0, b=20.0)
    noisy = landscapes.noisy(base, noise=2.0)
    grid = np.random.default_rng(4).uniform(-2, 2, size=(5, 7, 2))
    assert np.array_equal(noisy.value(grid), base.value(grid))
    assert noisy.minimum == base.minimum and noisy.min_value == base.min_value
    assert noisy.start == base.start and noisy.extras["noise"] == 2.0
    assert noisy.name == f"noisy {base.name}"
    assert noisy.grad(grid).shape == (5, 7, 2)


def test_noisy_landscape_is_reproducible_from_a_seed_or_generator() -> None:
    base = landscapes.saddle()
    point = np.array([1.0, 0.5])
    first = landscapes.noisy(base, noise=1.0, rng=7)
    second = landscapes.noisy(base, noise=1.0, rng=7)
    draws_a = [first.grad(point) for _ in range(5)]
    draws_b = [second.grad(point) for _ in range(5)]
    assert np.array_equal(np.array(draws_a), np.array(draws_b))
    assert not np.array_equal(draws_a[0], draws_a[1])  # every call draws new noise
    generator = np.random.default_rng(7)
    shared = landscapes.noisy(base, noise=1.0, rng=generator)
    assert np.array_equal(shared.grad(point), draws_a[0])
    generator.standard_normal(2)  # the landscape draws from the generator it was given
    assert np.array_equal(shared.grad(point), draws_a[2])
    with pytest.raises(ValueError, match="standard deviation"):
        landscapes.noisy(base, noise=-1.0)


def test_shared_noise_gives_a_stack_of_points_the_draws_of_one_point() -> None:
    """With shared=True, every row of a stack sees, call by call, what a single point would see,
    and a single point sees the same draws as without sharing."""
    base = landscapes.quadratic(a=1.0, b=20.0)
    stacked = landscapes.noisy(base, noise=2.0, rng=4, shared=True)
    alone = landscapes.noisy(base, noise=2.0, rng=4, shared=True)
    plain = landscapes.noisy(base, noise=2.0, rng=4)
    points = np.array([[1.0, 0.5], [-2.0, 0.1], [0.0, 0.0]])
    for _ in range(3):
        rows = stacked.grad(points)
        single = alone.grad(points[1])
        np.testing.assert_array_equal(single, plain.grad(points[1]))
        noise = single - base.grad(points[1])
        np.testing.assert_allclose(rows - base.grad(points), np.tile(noise, (3, 1)), atol=1e-12)
    unshared = landscapes.noisy(base, noise=2.0, rng=4).grad(points) - base.grad(points)
    assert unshared.std(axis=0).min() > 0  # without sharing, the rows get draws of their own
