"""The Adagrad reference against torch.optim.Adagrad, and notebook 04's own hidden checks.

Adagrad is taught in notebook 04 only and is not in optimlab/registry.py (which drives the
showdowns and notebook 09), so the registry-driven trajectories of tests/test_references.py do
not cover it. The course's form is torch's with lr_decay=0, weight_decay=0 and
initial_accumulator_value=0: sum_sq = sum_sq + g**2, p = p - lr*g/(sqrt(sum_sq) + eps).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import references as ref
from autograder.hidden import nb04_rmsprop as hidden
from autograder.kit import torch_twins as tt
from autograder.kit.core import GradingFailure

torch = pytest.importorskip("torch")

STEPS = 300
SHAPES = [(7,), (3, 4), (2, 3, 2)]
# Same bounds as tests/test_references.py: float64 allows only rounding, float32 ~800 eps.
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-4}
# Not torch's defaults (lr 0.01, eps 1e-10), so an ignored hyperparameter would show.
HYPER = {"lr": 0.05, "eps": 1e-6}


def run_reference(p0: np.ndarray, grads: np.ndarray, lr: float, eps: float) -> tuple:
    """Params and sum_sq after every step of the NumPy reference, from a zero sum."""
    run = tt.run_rule_reference(hidden.ADAGRAD, p0, grads, {"lr": lr, "eps": eps})
    return run.params, run.state["sum_sq"]


def run_torch(p0: np.ndarray, grads: np.ndarray, lr: float, eps: float) -> tuple:
    """The same with torch.optim.Adagrad (the course's form: no lr decay, zero start)."""

    def make(param: torch.Tensor) -> torch.optim.Optimizer:
        return torch.optim.Adagrad(
            [param],
            lr=lr,
            eps=eps,
            lr_decay=0.0,
            weight_decay=0.0,
            initial_accumulator_value=0.0,
            foreach=False,
        )

    run = tt.run_torch_optimizer(make, {"sum_sq": "sum"}, p0, grads)
    return run.params, run.state["sum_sq"]


def max_deviations(p0: np.ndarray, grads: np.ndarray, lr: float, eps: float) -> dict[str, float]:
    """Largest per-step max|ours - torch| / max|torch| for params and sum_sq."""
    ours, theirs = run_reference(p0, grads, lr, eps), run_torch(p0, grads, lr, eps)
    return {
        name: float(tt.relative_deviation_per_step(a, b).max())
        for name, a, b in zip(("params", "sum_sq"), ours, theirs, strict=True)
    }


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_adagrad_trajectory_matches_torch(shape: tuple[int, ...], dtype: type) -> None:
    """300 steps on gradients from 1e-9 to 1e2 with exact zeros: params and sum agree."""
    seed = 7000 + SHAPES.index(shape)
    p0 = np.random.default_rng(seed + 500).standard_normal(shape).astype(dtype)
    grads = tt.make_gradients(shape, STEPS, seed, dtype)
    devs = max_deviations(p0, grads, **HYPER)
    assert max(devs.values()) <= TOLERANCE[dtype], f"deviation from torch: {devs}"


def test_adagrad_with_the_course_eps_matches_torch() -> None:
    """The course's eps (1e-8) and a larger lr, float64, 300 steps."""
    p0 = np.random.default_rng(1).standard_normal(9)
    grads = tt.make_gradients((9,), STEPS, seed=2)
    devs = max_deviations(p0, grads, lr=0.5, eps=1e-8)
    assert max(devs.values()) <= TOLERANCE[np.float64], f"deviation from torch: {devs}"


def test_the_comparison_sees_a_moving_average() -> None:
    """Control: RMSprop's moving average in place of the sum is far outside the tolerance."""
    p0 = np.random.default_rng(3).standard_normal(5)
    grads = tt.make_gradients((5,), STEPS, seed=4)
    p, c = p0.copy(), np.zeros_like(p0)
    for g in grads:
        p, c = ref.rmsprop_step(p, g, c, lr=0.05, beta=0.9, eps=1e-6)
    theirs = run_torch(p0, grads, lr=0.05, eps=1e-6)[0][-1]
    assert np.abs(p - theirs).max() / np.abs(theirs).max() > 1e-3


def test_adagrad_reference_keeps_dtype_shape_and_inputs() -> None:
    """float32 stays float32, a 0-d array works, and the inputs are not modified."""
    p = np.array([1.0, -2.0], dtype=np.float32)
    g = np.array([3.0, 4.0], dtype=np.float32)
    s = np.array([16.0, 0.0], dtype=np.float32)
    before = [p.copy(), g.copy(), s.copy()]
    new_p, new_s = ref.adagrad_step(p, g, s, lr=0.5)
    assert new_p.dtype == new_s.dtype == np.float32
    np.testing.assert_allclose(new_s, [25.0, 16.0])
    np.testing.assert_allclose(new_p, [1.0 - 0.5 * 3 / 5, -2.0 - 0.5], rtol=1e-6)
    for a, b in zip(before, (p, g, s), strict=True):
        np.testing.assert_array_equal(a, b)
    p0, s0 = ref.adagrad_step(np.array(1.0), np.array(2.0), np.array(0.0), lr=0.1)
    assert p0.shape == s0.shape == () and np.isclose(p0, 0.9) and np.isclose(s0, 4.0)


def test_adagrad_effective_rate_decays_under_a_steady_gradient() -> None:
    """With g = 1 every step, the k-th step is lr / sqrt(k) (up to eps): the sum never forgets."""
    p, s = np.zeros(1), np.zeros(1)
    steps = []
    for _ in range(400):
        new_p, s = ref.adagrad_step(p, np.ones(1), s, lr=1.0)
        steps.append(float(p[0] - new_p[0]))
        p = new_p
    k = np.arange(1, 401)
    np.testing.assert_allclose(steps, 1 / np.sqrt(k), rtol=1e-7)


# ----------------------------------------------------------------- notebook 04's hidden checks

ADAGRAD_CHECKS = [
    hidden.check_adagrad_own_update,
    hidden.check_adagrad_trajectory,
    hidden.check_adagrad_shapes_and_dtypes,
    hidden.check_adagrad_edge_cases,
    hidden.check_adagrad_inputs_unchanged,
]


@pytest.mark.parametrize("check", ADAGRAD_CHECKS, ids=lambda c: c.__name__)
def test_adagrad_reference_passes_every_hidden_check(check) -> None:
    check(ref.adagrad_step)


@pytest.mark.parametrize("mistake", hidden.ADAGRAD_MISTAKES, ids=lambda m: m.name[:40])
def test_each_adagrad_mistake_fails_the_trajectory_and_is_named(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        hidden.check_adagrad_trajectory(mistake.compute)
    assert mistake.name in str(failure.value) and "Hint:" in str(failure.value)


@pytest.mark.parametrize(
    "check", [hidden.check_steady_lr_values, hidden.check_steady_lr_cases], ids=lambda c: c.__name__
)
def test_steady_reference_passes(check) -> None:
    check(hidden.steady_effective_lr)


@pytest.mark.parametrize("mistake", hidden.STEADY_LR_MISTAKES, ids=lambda m: m.name[:40])
def test_each_steady_mistake_is_caught_and_named(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        hidden.check_steady_lr_values(mistake.compute)
        hidden.check_steady_lr_cases(mistake.compute)
    assert mistake.name in str(failure.value) and "Hint:" in str(failure.value)


def test_steady_reference_matches_a_long_simulation() -> None:
    """The closed form of the cache's two-step cycle against 20 000 RMSprop steps."""
    for lr, g1, g2, beta in [(0.01, 2.0, 2.0, 0.9), (0.1, 2.0, -2.0, 0.5), (1.0, 3.0, 0.0, 0.99)]:
        p, c = np.zeros(1), np.zeros(1)
        measured = []
        for k in range(20000):
            p, c = ref.rmsprop_step(p, np.array([g1 if k % 2 == 0 else g2]), c, lr, beta)
            measured.append(lr / (np.sqrt(c[0]) + 1e-8))
        np.testing.assert_allclose(measured[-2:], hidden.steady_effective_lr(lr, g1, g2, beta))
