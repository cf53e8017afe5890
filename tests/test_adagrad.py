"""The Adagrad reference (autograder/references.py) against torch.optim.Adagrad.

Adagrad is taught in notebook 04 only and is not in optimlab/registry.py (which drives the
showdowns and notebook 09), so the registry-driven trajectories of tests/test_references.py do
not cover it. The course's form is torch's with lr_decay=0, weight_decay=0 and
initial_accumulator_value=0: sum_sq = sum_sq + g**2, p = p - lr*g/(sqrt(sum_sq) + eps).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import references as ref
from autograder.kit import torch_twins as tt

torch = pytest.importorskip("torch")

STEPS = 300
SHAPES = [(7,), (3, 4), (2, 3, 2)]
# Same bounds as tests/test_references.py: float64 allows only rounding, float32 ~800 eps.
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-4}
# Not torch's defaults (lr 0.01, eps 1e-10), so an ignored hyperparameter would show.
HYPER = {"lr": 0.05, "eps": 1e-6}


def run_reference(p0: np.ndarray, grads: np.ndarray, lr: float, eps: float) -> tuple:
    """Params and sum_sq after every step of the NumPy reference, from a zero sum."""
    p, s = p0.copy(), np.zeros_like(p0)
    params, sums = [], []
    for g in grads:
        p, s = ref.adagrad_step(p, g, s, lr, eps)
        params.append(p)
        sums.append(s)
    return np.stack(params), np.stack(sums)


def run_torch(p0: np.ndarray, grads: np.ndarray, lr: float, eps: float) -> tuple:
    """The same with torch.optim.Adagrad (the course's form: no lr decay, zero start)."""
    param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = torch.optim.Adagrad(
        [param],
        lr=lr,
        eps=eps,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        foreach=False,
    )
    params, sums = [], []
    for g in grads:
        param.grad = torch.from_numpy(g.copy())
        opt.step()
        params.append(param.detach().numpy().copy())
        sums.append(opt.state[param]["sum"].detach().numpy().copy())
    return np.stack(params), np.stack(sums)


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
