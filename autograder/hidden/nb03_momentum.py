"""Hidden tests for notebook 03 beyond momentum_step: how much faster momentum moves on a straight
slope, Nesterov's update (nesterov_step, at the end) and momentum's largest stable learning rate.

Under a constant gradient ``g`` (a straight slope) and a velocity that starts at zero, the seed's
momentum ``v = beta*v + g; p = p - lr*v`` has the velocities

    v_k = (1 + beta + ... + beta**(k-1)) * g = (1 - beta**k) / (1 - beta) * g,

so the k-th step is ``(1 - beta**k) / (1 - beta)`` times plain SGD's step ``lr*g``. Two graded
functions come out of this:

- ``steady_state_speedup(beta)``: the limit of that factor, ``1 / (1 - beta)``;
- ``momentum_speedup(beta, num_steps)``: the distance momentum covers in ``num_steps`` steps
  divided by the distance plain SGD covers in the same steps (lr and g cancel). It is 1 after one
  step and grows towards ``1 / (1 - beta)``; the warm-up takes about ``1 / (1 - beta)`` steps.

Students may simulate (with their ``momentum_step`` or plain floats) or sum the series; both are
accepted. While a check runs, a ``momentum_step`` the function uses is the reference one, so a
mistake in Exercise 1 is not charged twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder import references as ref
from autograder.kit.core import Mistake, as_number, call, check_numbers, fail, substituted
from autograder.kit.update_rules import (
    UpdateRule,
    check_inputs_unchanged,
    check_shapes_and_dtypes,
    compare_trajectory,
    random_gradients,
)

# Betas the graded functions must handle: 0 <= beta < 1. num_steps >= 1.
RTOL = 1e-8


# --- references ----------------------------------------------------------------------------------
def steady_state_speedup(beta: float) -> float:
    """Reference: the steady-state step of momentum over plain SGD's, 1 / (1 - beta)."""
    return 1.0 / (1.0 - float(beta))


def momentum_speedup(beta: float, num_steps: int) -> float:
    """Reference: momentum's distance over plain SGD's after num_steps steps on a constant slope."""
    # simulated (lr = g = 1): the closed form loses digits to cancellation when beta is near 1
    beta = float(beta)
    velocity = 0.0
    distance = 0.0
    for _ in range(int(num_steps)):
        velocity = beta * velocity + 1.0
        distance += velocity
    return distance / int(num_steps)


def _series_speedup(beta: float, num_steps: int) -> float:
    """The mean of the step factors (1 - beta**k)/(1 - beta) for k = 1..num_steps (any integer)."""
    return momentum_speedup(beta, num_steps) if num_steps >= 1 else float("nan")


# --- known mistakes ------------------------------------------------------------------------------
STEADY_STATE_MISTAKES = [
    Mistake(
        "1 / beta",
        "in the steady state the velocity no longer changes: solve v = beta*v + g for v",
        lambda beta: 1.0 / beta,
    ),
    Mistake(
        "1 / (1 + beta)",
        "1 / (1 + beta) is where an *alternating* gradient settles (Section 2); a constant one "
        "keeps adding in the same direction",
        lambda beta: 1.0 / (1.0 + beta),
    ),
    Mistake(
        "1 - beta",
        "check beta = 0.9: a velocity that keeps 90 % of itself and gains g on every step grows "
        "well beyond g, not below it",
        lambda beta: 1.0 - beta,
    ),
    Mistake(
        "beta / (1 - beta) (only the extra from momentum)",
        "the speed-up counts the whole step, the gradient's own share included",
        lambda beta: beta / (1.0 - beta),
    ),
    Mistake(
        "1 / (1 - beta)**2",
        "one factor too many: simulate a few steps with beta = 0.5 by hand and compare",
        lambda beta: 1.0 / (1.0 - beta) ** 2,
    ),
    Mistake(
        "the EMA form's speed-up (always 1)",
        "this course's momentum is v = beta*v + g (no (1 - beta) factor), so the velocity "
        "grows beyond g",
        lambda beta: 1.0,
    ),
]

SPEEDUP_MISTAKES = [
    Mistake(
        "the steady-state speed-up 1 / (1 - beta) whatever num_steps is",
        "the velocity starts at zero and needs time to build up: after one step momentum has "
        "moved exactly as far as plain SGD",
        lambda beta, n: 1.0 / (1.0 - beta),
    ),
    Mistake(
        "the speed-up of the last step only, (1 - beta**n) / (1 - beta)",
        "compare the total distances: add up all num_steps steps of each method",
        lambda beta, n: (1.0 - beta**n) / (1.0 - beta),
    ),
    Mistake(
        "momentum's distance not divided by plain SGD's (num_steps * lr * g)",
        "plain SGD covers num_steps * lr * g in num_steps steps: divide by it",
        lambda beta, n: n * momentum_speedup(beta, n),
    ),
    Mistake(
        "one step too many (num_steps + 1 steps)",
        "take exactly num_steps steps with each method",
        lambda beta, n: _series_speedup(beta, n + 1),
    ),
    Mistake(
        "one step too few (num_steps - 1 steps)",
        "take exactly num_steps steps with each method; the first step counts too",
        lambda beta, n: _series_speedup(beta, n - 1),
    ),
    Mistake(
        "the distance for num_steps + 1 steps divided by num_steps",
        "take exactly num_steps steps, and divide by plain SGD's distance for the same steps",
        lambda beta, n: (n + 1) * _series_speedup(beta, n + 1) / n,
    ),
    Mistake(
        "the step taken with the old velocity (the first step does not move)",
        "update the velocity first, then step with the new one, as in momentum_step",
        lambda beta, n: (n * momentum_speedup(beta, n) - (1.0 - beta**n) / (1.0 - beta)) / n,
    ),
    Mistake(
        "the velocities counted one step ahead (v_2 ... v_(n+1))",
        "the first step's velocity is just g (it starts at zero): 1 + beta on the second, ...",
        lambda beta, n: ((n + 1) * _series_speedup(beta, n + 1) - 1.0) / n,
    ),
    Mistake(
        "the EMA form of momentum, v = beta*v + (1-beta)*g",
        "this course uses the seed's form v = beta*v + g (no (1 - beta) factor)",
        lambda beta, n: (1.0 - beta) * momentum_speedup(beta, n),
    ),
]


# --- the checks ----------------------------------------------------------------------------------
def _check_steady_case(fn: Callable[..., Any], beta: float) -> None:
    with substituted(fn, momentum_step=ref.momentum_step):
        check_numbers(
            fn,
            "steady_state_speedup",
            (beta,),
            steady_state_speedup(beta),
            mistakes=STEADY_STATE_MISTAKES,
            hint="in the steady state the velocity stops changing: v = beta*v + g; solve for v / g",
            context=f"steady_state_speedup(beta={beta!r})",
        )


def check_steady_state_speedup(fn: Callable[..., Any], seed: int = 31) -> None:
    """1 / (1 - beta) for beta = 0, common values and fresh random betas in [0, 1)."""
    rng = np.random.default_rng(seed)
    betas = [0.9, 0.99, 0.999, *rng.uniform(0.05, 0.95, 4).round(6), float(rng.uniform(0, 1)), 0.0]
    for beta in betas:
        _check_steady_case(fn, float(beta))
    _check_steady_case(fn, np.float64(0.75))


# --- momentum_speedup ----------------------------------------------------------------------------
def _speedup_context(beta: float, num_steps: int) -> str:
    return f"momentum_speedup(beta={beta!r}, num_steps={num_steps!r})"


def _check_speedup_case(fn: Callable[..., Any], beta: float, num_steps: int, rtol=RTOL) -> float:
    with substituted(fn, momentum_step=ref.momentum_step):
        (got,) = check_numbers(
            fn,
            "momentum_speedup",
            (beta, num_steps),
            momentum_speedup(beta, num_steps),
            mistakes=SPEEDUP_MISTAKES,
            hint="add up the lengths of the num_steps momentum steps from a zero velocity and "
            "divide by the distance plain SGD covers in as many steps",
            rtol=rtol,
            context=_speedup_context(beta, num_steps),
        )
    return got


def check_speedup_values(fn: Callable[..., Any], seed: int = 37) -> None:
    """The distance ratio on fresh random (beta, num_steps) pairs matches the reference."""
    rng = np.random.default_rng(seed)
    for beta, steps in [(0.5, 2), (0.9, 3), (0.8, 7)]:
        _check_speedup_case(fn, beta, steps)
    for _ in range(8):
        beta = round(float(rng.uniform(0.05, 0.98)), 6)
        _check_speedup_case(fn, beta, int(rng.integers(2, 80)))


def check_speedup_edge_cases(fn: Callable[..., Any], seed: int = 41) -> None:
    """beta = 0 gives 1, one step gives 1, betas near 0 and near 1, NumPy number types."""
    rng = np.random.default_rng(seed)
    for steps in (1, 2, 17, 300):
        _check_speedup_case(fn, 0.0, steps)
    for beta in (0.5, 0.9, 0.999, float(rng.uniform(0, 1))):
        _check_speedup_case(fn, beta, 1)
    _check_speedup_case(fn, 1e-12, 50)
    _check_speedup_case(fn, 0.999, 2)
    _check_speedup_case(fn, 0.999, 5000)
    _check_speedup_case(fn, np.float64(0.6), np.int64(12))


def check_speedup_limit(fn: Callable[..., Any], seed: int = 43) -> None:
    """The ratio grows with num_steps, stays below 1 / (1 - beta) and approaches it."""
    rng = np.random.default_rng(seed)
    betas = [0.5, 0.9, 0.99, round(float(rng.uniform(0.2, 0.95)), 6)]
    for beta in betas:
        limit = steady_state_speedup(beta)
        long_run = int(math.ceil(200.0 / (1.0 - beta)))  # within 0.5 % of the limit
        steps = sorted({1, 2, 5, 20, 100, long_run})
        values = []
        for n in steps:
            with substituted(fn, momentum_step=ref.momentum_step):
                result = call(fn, "momentum_speedup", beta, n)
            values.append(as_number(result, _speedup_context(beta, n)))
        shown = ", ".join(f"{n}: {v:.6g}" for n, v in zip(steps, values, strict=True))
        if any(b < a for a, b in zip(values, values[1:], strict=False)):
            fail(
                f"momentum_speedup(beta={beta}, num_steps) should grow with num_steps, but it "
                f"gave {{{shown}}}.",
                hint="each momentum step is longer than the one before while the velocity "
                "builds up, so the average speed-up keeps growing",
            )
        if max(values) > limit * (1 + 1e-9):
            fail(
                f"momentum_speedup(beta={beta}, num_steps) goes above the steady-state "
                f"speed-up steady_state_speedup({beta}): {{{shown}}}.",
                hint="no momentum step is longer than a steady-state step, so their average "
                "cannot be either",
            )
        if abs(values[-1] - limit) > 0.005 * limit:
            fail(
                f"momentum_speedup(beta={beta}, num_steps={long_run}) = {values[-1]:.6g} does "
                f"not approach the steady-state speed-up steady_state_speedup({beta}) (it "
                "should be within 0.5 %).",
                hint="after many steps almost every velocity is the steady-state one",
            )
        for n in steps:
            _check_speedup_case(fn, beta, n, rtol=1e-7)


# --- nesterov_step -------------------------------------------------------------------------------
# Nesterov momentum in the course's convention, as torch.optim.SGD(nesterov=True) computes it:
# v = beta*v + g (the same velocity as momentum_step), then p = p - lr*(g + beta*v). The update
# rule is not in optimlab's registry (which drives the showdowns), so its checks live here; they
# follow the kit's update-rule checks, with the reference in autograder/references.py (which
# tests/test_nesterov.py holds against torch to 1e-10 over 300 float64 steps).
NESTEROV_MISTAKES = (
    Mistake(
        "plain (heavy-ball) momentum, p - lr*v_new = p - lr*(g + beta*v_old)",
        "this is momentum_step again; equivalently, the look-ahead used the old velocity. "
        "Update the velocity first and look ahead along the new one",
        lambda p, g, v, lr, beta: (p - lr * (beta * v + g), beta * v + g),
    ),
    Mistake(
        "the EMA form of the velocity, v = beta*v + (1-beta)*g",
        "this course's velocity is v = beta*v + g, as in momentum_step (no (1 - beta) factor)",
        lambda p, g, v, lr, beta: (
            p - lr * (g + beta * (beta * v + (1 - beta) * g)),
            beta * v + (1 - beta) * g,
        ),
    ),
    Mistake(
        "the learning rate inside the velocity (v = beta*v + lr*g)",
        "keep lr out of the velocity: the velocity is a sum of gradients, and lr scales the "
        "step only",
        lambda p, g, v, lr, beta: (p - (lr * g + beta * (beta * v + lr * g)), beta * v + lr * g),
    ),
    Mistake(
        "the look-ahead without beta (p - lr*(g + v_new))",
        "the look-ahead goes as far as the velocity will carry the parameters on the next step, "
        "which keeps only a fraction beta of it",
        lambda p, g, v, lr, beta: (p - lr * (g + (beta * v + g)), beta * v + g),
    ),
    Mistake(
        "the look-ahead direction returned as the new velocity",
        "return the velocity v = beta*v + g itself; the direction g + beta*v is only used for "
        "the step",
        lambda p, g, v, lr, beta: (
            p - lr * (g + beta * (beta * v + g)),
            g + beta * (beta * v + g),
        ),
    ),
    Mistake(
        "the step taken uphill (params + lr * direction)",
        "move against the direction: params - lr * (g + beta*v)",
        lambda p, g, v, lr, beta: (p + lr * (g + beta * (beta * v + g)), beta * v + g),
    ),
)

NESTEROV = UpdateRule(
    "nesterov_step",
    ref.nesterov_step,
    ("velocity",),
    False,
    {"lr": 0.05, "beta": 0.9},
    NESTEROV_MISTAKES,
)


def _nesterov_compare(
    fn: Callable[..., Any],
    params: np.ndarray,
    grads: list[np.ndarray],
    label: str,
    hyper: dict[str, float] | None = None,
    velocity: np.ndarray | None = None,
) -> None:
    state = None if velocity is None else [velocity]
    compare_trajectory(fn, NESTEROV, params, grads, hyper or NESTEROV.hyper, label, state)


def check_nesterov_values(fn: Callable[..., Any], seed: int = 47) -> None:
    """Single steps from random velocities match the reference (and are the student's own)."""
    rng = np.random.default_rng(seed)
    params, grad = np.array([1.0, -2.0, 0.5]), np.array([0.5, -1.0, 0.25])
    call(fn, "nesterov_step", params, grad, np.abs(grad), **NESTEROV.hyper)
    for shape, lr, beta in [((5,), 0.05, 0.9), ((4,), 0.3, 0.5), ((2, 3), 0.01, 0.99)]:
        params, grads = rng.standard_normal(shape), random_gradients(rng, shape, 1, np.float64)
        hyper, velocity = {"lr": lr, "beta": beta}, rng.standard_normal(shape)
        _nesterov_compare(fn, params, grads, "one step from a random velocity", hyper, velocity)


def check_nesterov_trajectory(fn: Callable[..., Any], steps: int = 30, seed: int = 53) -> None:
    """Many float64 steps on fresh random gradients follow the reference, for two settings."""
    rng = np.random.default_rng(seed)
    for shape in [(6,), (3, 4)]:
        grads = random_gradients(rng, shape, steps, np.float64)
        _nesterov_compare(fn, rng.standard_normal(shape), grads, "random gradients")
    grads = random_gradients(rng, (5,), steps, np.float64)
    _nesterov_compare(
        fn, rng.standard_normal(5), grads, "other hyperparameters", {"lr": 0.15, "beta": 0.5}
    )


def check_nesterov_shapes_and_dtypes(fn: Callable[..., Any], seed: int = 59) -> None:
    """Any shape, from a single number to a 3-D array, in float32 and float64."""
    check_shapes_and_dtypes(fn, NESTEROV, seed)


def check_nesterov_edge_cases(fn: Callable[..., Any], seed: int = 61) -> None:
    """Zero, tiny and huge gradients, beta = 0 (plain SGD) and a large learning rate."""
    rng = np.random.default_rng(seed)
    params = rng.standard_normal(8)
    _nesterov_compare(fn, params, [np.zeros(8)] * 3, "all-zero gradients")
    for scale, label in [(1e-9, "tiny gradients (about 1e-9)"), (1e6, "huge gradients (1e6)")]:
        _nesterov_compare(fn, params, random_gradients(rng, (8,), 5, np.float64, scale), label)
    grads = random_gradients(rng, (8,), 5, np.float64)
    _nesterov_compare(fn, params, grads, "beta = 0 (plain SGD)", {"lr": 0.1, "beta": 0.0})
    _nesterov_compare(fn, params * 10, grads, "large learning rate", {"lr": 0.5, "beta": 0.9})


def check_nesterov_inputs_unchanged(fn: Callable[..., Any], seed: int = 67) -> None:
    """nesterov_step returns new arrays and leaves params, grad and velocity as they were."""
    check_inputs_unchanged(fn, NESTEROV, seed)


# --- momentum_max_stable_lr (a thinking exercise) ------------------------------------------------
# On f = curvature/2 * x**2 one momentum step maps (x, v) linearly; the run converges while both
# eigenvalues of that 2x2 map lie inside the unit circle. As lr grows, the first to leave is a
# real eigenvalue through -1, at lr * curvature = 2 * (1 + beta).
def momentum_max_stable_lr(curvature: float, beta: float) -> float:
    """Reference: the largest stable learning rate of the seed's momentum, 2(1+beta)/curvature."""
    return 2.0 * (1.0 + float(beta)) / float(curvature)


MAX_LR_HINT = (
    "write one step on f = curvature/2 * x**2 as a 2x2 linear map of (x, v); the run is stable "
    "while both eigenvalues have modulus below 1. Find the lr at which one reaches the unit "
    "circle first (try lr just above and below your answer in a simulation)"
)

MAX_LR_MISTAKES = [
    Mistake(
        "plain GD's limit 2 / curvature (beta left out)",
        "momentum moves the limit: with a velocity the step is no longer a plain gradient step, "
        "so the map of (x, v), not of x alone, decides",
        lambda curvature, beta: 2.0 / curvature,
    ),
    Mistake(
        "the effective-step argument, 2 * (1 - beta) / curvature",
        "the steady step lr / (1 - beta) is what a *constant* gradient gives; at the edge of "
        "stability the gradient flips sign every step, and a flipping gradient is weighted "
        "differently",
        lambda curvature, beta: 2.0 * (1.0 - beta) / curvature,
    ),
    Mistake(
        "2 / ((1 - beta) * curvature)",
        "a velocity that builds up over a constant gradient is not what happens at the edge: "
        "there the gradient flips sign every step",
        lambda curvature, beta: 2.0 / ((1.0 - beta) * curvature),
    ),
    Mistake(
        "2 / ((1 + beta) * curvature)",
        "check the direction of the effect: simulate lr slightly above 2 / curvature with "
        "beta = 0.9 and see whether it diverges",
        lambda curvature, beta: 2.0 / ((1.0 + beta) * curvature),
    ),
    Mistake(
        "the edge of the oscillating regime, (1 + sqrt(beta))**2 / curvature",
        "there the two complex eigenvalues become real, but both still have modulus below 1: "
        "the run still converges a little beyond it. Follow the real eigenvalue that moves "
        "towards -1",
        lambda curvature, beta: (1.0 + np.sqrt(beta)) ** 2 / curvature,
    ),
    Mistake(
        "Nesterov's limit, 2 * (1 + beta) / ((1 + 2 * beta) * curvature)",
        "that is the limit of nesterov_step; this exercise is about momentum_step",
        lambda curvature, beta: 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * curvature),
    ),
    Mistake(
        "(1 + beta) / curvature",
        "check beta = 0: the answer must be notebook 01's 2 / curvature",
        lambda curvature, beta: (1.0 + beta) / curvature,
    ),
]


def _check_max_lr_case(fn: Callable[..., Any], curvature: float, beta: float) -> None:
    check_numbers(
        fn,
        "momentum_max_stable_lr",
        (curvature, beta),
        momentum_max_stable_lr(curvature, beta),
        mistakes=MAX_LR_MISTAKES,
        hint=MAX_LR_HINT,
        rtol=1e-6,
        context=f"momentum_max_stable_lr(curvature={curvature!r}, beta={beta!r})",
    )


def check_max_lr_values(fn: Callable[..., Any], seed: int = 71) -> None:
    """Fresh random (curvature, beta) pairs: curvatures 0.01 to 1000, betas in [0, 0.99]."""
    rng = np.random.default_rng(seed)
    for curvature, beta in [(40.0, 0.9), (1.0, 0.5), (2.5, 0.99)]:
        _check_max_lr_case(fn, curvature, beta)
    for _ in range(12):
        curvature = round(float(10.0 ** rng.uniform(-2, 3)), 6)
        _check_max_lr_case(fn, curvature, round(float(rng.uniform(0.0, 0.99)), 6))


def check_max_lr_edge_cases(fn: Callable[..., Any], seed: int = 73) -> None:
    """beta = 0 is plain GD's 2 / curvature; beta near 1; tiny and huge curvatures; NumPy types."""
    rng = np.random.default_rng(seed)
    for curvature in (1.0, 40.0, float(rng.uniform(0.1, 10))):
        _check_max_lr_case(fn, curvature, 0.0)
    for curvature, beta in [(1e-6, 0.9), (1e6, 0.9), (3.0, 0.999), (0.5, 1e-9)]:
        _check_max_lr_case(fn, curvature, beta)
    _check_max_lr_case(fn, np.float64(8.0), np.float32(0.75))
