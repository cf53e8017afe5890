"""Nesterov momentum (notebook 03): the NumPy reference against torch.optim.SGD(nesterov=True),
and the hidden checks: right answers pass, each catalogued mistake is caught and named."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder import references as ref
from autograder.hidden import nb03_momentum as mo
from autograder.kit.core import GradingFailure
from autograder.kit.torch_twins import (
    make_gradients,
    relative_deviation_per_step,
    run_rule_reference,
    run_torch_optimizer,
)

STEPS = 300
# (lr, beta) pairs, none of them torch's defaults, so an ignored or swapped one shows.
SETTINGS = [(0.02, 0.8), (0.1, 0.9), (0.5, 0.3), (0.01, 0.99)]
# Largest max|ref - torch| / max|torch| at any step. Measured over these cases: 5.2e-16 in float64
# and 1.9e-7 in float32 (both sides round the same operations in a different order).
FLOAT64_RTOL = 1e-10
FLOAT32_RTOL = 1e-4


def run_reference(p0: np.ndarray, grads: np.ndarray, lr: float, beta: float) -> tuple:
    run = run_rule_reference(mo.NESTEROV, p0, grads, {"lr": lr, "beta": beta})
    return run.params, run.state["velocity"]


def run_torch(p0: np.ndarray, grads: np.ndarray, lr: float, beta: float) -> tuple:
    def make(param: torch.Tensor) -> torch.optim.Optimizer:
        return torch.optim.SGD([param], lr=lr, momentum=beta, nesterov=True, foreach=False)

    run = run_torch_optimizer(make, {"velocity": "momentum_buffer"}, p0, grads)
    return run.params, run.state["velocity"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(7,), (3, 4)], ids=["7", "3x4"])
@pytest.mark.parametrize("lr,beta", SETTINGS)
def test_reference_matches_torch_nesterov(lr, beta, shape, dtype) -> None:
    """300 steps on stressful gradients (1e-9 to 1e2, exact zeros): params and velocity agree."""
    seed = 7 + SETTINGS.index((lr, beta))
    p0 = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    grads = make_gradients(shape, STEPS, seed, dtype)
    ours, theirs = run_reference(p0, grads, lr, beta), run_torch(p0, grads, lr, beta)
    tol = FLOAT64_RTOL if dtype == np.float64 else FLOAT32_RTOL
    for name, a, b in zip(("params", "velocity"), ours, theirs, strict=True):
        assert a.dtype == dtype
        worst = relative_deviation_per_step(a, b).max()
        assert worst <= tol, f"{name}: deviation {worst:.3g} from torch over {tol:g}"


def test_reference_is_not_heavy_ball() -> None:
    """The torch comparison can fail: plain momentum drifts far from torch's Nesterov run."""
    p0, grads = np.ones(5), make_gradients((5,), 50, 3)
    params = p0.copy()
    velocity = np.zeros_like(p0)
    for g in grads:
        params, velocity = ref.momentum_step(params, g, velocity, 0.1, 0.9)
    assert np.abs(params - run_torch(p0, grads, 0.1, 0.9)[0][-1]).max() > 1e-3


def test_beta_zero_is_gd() -> None:
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    new_p, new_v = ref.nesterov_step(p, g, np.array([3.0, 3.0]), 0.1, 0.0)
    np.testing.assert_allclose(new_p, ref.gd_step(p, g, 0.1), rtol=0, atol=0)
    np.testing.assert_allclose(new_v, g)


NESTEROV_CHECKS = [
    mo.check_nesterov_values,
    mo.check_nesterov_trajectory,
    mo.check_nesterov_shapes_and_dtypes,
    mo.check_nesterov_edge_cases,
    mo.check_nesterov_inputs_unchanged,
]


def bengio_form(params, grad, velocity, lr, beta):
    """The same update written without the look-ahead: beta**2 * v_old and (1 + beta) * g."""
    return params - lr * (beta * beta * velocity + (1 + beta) * grad), beta * velocity + grad


def in_place_on_copies(params, grad, velocity, lr, beta):
    buf = velocity.copy()
    buf *= beta
    buf += grad
    direction = grad + beta * buf
    new_params = params.copy()
    new_params -= lr * direction
    return new_params, buf


@pytest.mark.parametrize("check", NESTEROV_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "answer", [ref.nesterov_step, bengio_form, in_place_on_copies], ids=lambda f: f.__name__
)
def test_right_answers_pass(check, answer) -> None:
    check(answer)


@pytest.mark.parametrize("mistake", mo.NESTEROV_MISTAKES, ids=lambda m: m.name)
@pytest.mark.parametrize(
    "check", [mo.check_nesterov_values, mo.check_nesterov_trajectory], ids=lambda c: c.__name__
)
def test_each_mistake_is_caught_and_named(check, mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as caught:
        check(mistake.compute)
    assert mistake.name in str(caught.value)
    assert "Hint:" in str(caught.value)


def test_mistakes_differ_from_each_other_and_the_reference() -> None:
    rng = np.random.default_rng(5)
    args = [rng.standard_normal(4) for _ in range(3)]
    answers = [ref.nesterov_step(*args, 0.05, 0.9)] + [
        m.compute(*args, 0.05, 0.9) for m in mo.NESTEROV_MISTAKES
    ]
    flat = [np.concatenate([np.ravel(x) for x in a]) for a in answers]
    for i in range(len(flat)):
        for j in range(i):
            assert np.abs(flat[i] - flat[j]).max() > 1e-6, (i, j)


def test_in_place_update_is_caught() -> None:
    def in_place(params, grad, velocity, lr, beta):
        velocity *= beta
        velocity += grad
        return params - lr * (grad + beta * velocity), velocity

    with pytest.raises(GradingFailure, match="in place"):
        mo.check_nesterov_inputs_unchanged(in_place)


def test_float64_constants_are_caught() -> None:
    def upcasts(params, grad, velocity, lr, beta):
        new_v = np.float64(beta) * velocity.astype(float) + grad
        return params - lr * (grad + beta * new_v), new_v

    with pytest.raises(GradingFailure, match="float32"):
        mo.check_nesterov_shapes_and_dtypes(upcasts)
