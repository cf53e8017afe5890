"""Hidden tests for notebook 04's Adagrad exercise (RMSprop's checks come from the kit).

The course's Adagrad keeps the running *sum* of squared gradients and divides by its root, with
eps outside the root (torch.optim.Adagrad with lr_decay=0, weight_decay=0 and
initial_accumulator_value=0):

    sum_sq = sum_sq + g**2;   params = params - lr * g / (sqrt(sum_sq) + eps)

Adagrad is not in optimlab/registry.py (that table drives the showdowns and notebook 09), so its
update rule is described here and compared with the kit's trajectory comparison, which names a
catalogued mistake when one reproduces the student's whole run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder import references as ref
from autograder.kit.core import Mistake, call, check_numbers, substituted
from autograder.kit.update_rules import (
    UpdateRule,
    check_inputs_unchanged,
    check_shapes_and_dtypes,
    compare_trajectory,
)


# --- known mistakes (each with adagrad_step's signature) -----------------------------------------
def _moving_average(beta: float) -> Callable[..., Any]:
    def rule(p, g, s, lr, eps):
        new_s = beta * s + (1 - beta) * g * g
        return p - lr * g / (np.sqrt(new_s) + eps), new_s

    return rule


ADAGRAD_MISTAKES = (
    Mistake(
        "eps inside the square root (sqrt(sum_sq + eps))",
        "eps only keeps the division finite; check on which side of the square root the course "
        "adds it",
        lambda p, g, s, lr, eps: (p - lr * g / np.sqrt(s + g * g + eps), s + g * g),
    ),
    Mistake(
        "a moving average of squared gradients (RMSprop's cache) instead of the sum",
        "Adagrad never forgets: every squared gradient stays in the accumulator with full weight",
        _moving_average(0.9),
    ),
    Mistake(
        "a moving average of squared gradients (RMSprop's cache, beta = 0.99) instead of the sum",
        "Adagrad never forgets: every squared gradient stays in the accumulator with full weight",
        _moving_average(0.99),
    ),
    Mistake(
        "the gradient added to the accumulator without squaring it",
        "the accumulator measures the size of the gradients, whatever their sign",
        lambda p, g, s, lr, eps: (p - lr * g / (np.sqrt(s + g) + eps), s + g),
    ),
    Mistake(
        "the absolute gradient added to the accumulator instead of its square",
        "the accumulator collects squares, so that its root has the units of a gradient",
        lambda p, g, s, lr, eps: (p - lr * g / (np.sqrt(s + np.abs(g)) + eps), s + np.abs(g)),
    ),
    Mistake(
        "the accumulator not carried between steps (only this step's squared gradient)",
        "add this step's contribution to the sum_sq you were given; the caller passes back what "
        "you returned",
        lambda p, g, s, lr, eps: (p - lr * g / (np.sqrt(g * g) + eps), g * g),
    ),
    Mistake(
        "the step divided by the sum itself instead of its square root",
        "the divisor should have the units of a gradient, like RMSprop's",
        lambda p, g, s, lr, eps: (p - lr * g / (s + g * g + eps), s + g * g),
    ),
    Mistake(
        "the step divided by the old sum (before this step's gradient is added)",
        "update the accumulator first, then divide by the new one",
        lambda p, g, s, lr, eps: (p - lr * g / (np.sqrt(s) + eps), s + g * g),
    ),
    Mistake(
        "the step taken uphill (params + ...)",
        "a descent step moves against the gradient",
        lambda p, g, s, lr, eps: (p + lr * g / (np.sqrt(s + g * g) + eps), s + g * g),
    ),
)

# eps = 1e-8 as in the notebook; lr larger than usual so that every step shows.
ADAGRAD = UpdateRule(
    "adagrad_step",
    ref.adagrad_step,
    ("sum_sq",),
    False,
    {"lr": 0.05, "eps": 1e-8},
    ADAGRAD_MISTAKES,
)


# --- inputs --------------------------------------------------------------------------------------
def _gradients(
    rng: np.random.Generator, shape: tuple[int, ...], steps: int, dtype: Any = np.float64
) -> list[np.ndarray]:
    """Gradients of sizes 1e-3 to 10 by coordinate, a quarter of them rare (sparse features)."""
    per_coordinate = 10.0 ** rng.uniform(-3, 1, size=shape)
    rare = rng.random(shape) < 0.25
    grads = []
    for k in range(steps):
        g = per_coordinate * rng.standard_normal(shape) * (1 + 0.5 * np.sin(k))
        g = np.where(rare & (rng.random(shape) > 0.1), 0.0, g)
        grads.append(np.asarray(g).astype(dtype))
    return grads


def _compare(
    fn: Callable[..., Any],
    params: np.ndarray,
    grads: Sequence[np.ndarray],
    label: str,
    hyper: dict[str, float] | None = None,
    sum_sq: np.ndarray | None = None,
) -> None:
    state = None if sum_sq is None else [sum_sq.astype(params.dtype)]
    compare_trajectory(fn, ADAGRAD, params, grads, hyper or ADAGRAD.hyper, label, state)


# --- the checks ----------------------------------------------------------------------------------
def check_adagrad_own_update(fn: Callable[..., Any]) -> None:
    """The update is computed by the student's own code, not borrowed from the reference."""
    params, grad = np.array([1.0, -2.0, 0.5]), np.array([0.5, -1.0, 0.25])
    call(fn, "adagrad_step", params, grad, np.abs(grad), **ADAGRAD.hyper)


def check_adagrad_trajectory(fn: Callable[..., Any], steps: int = 200, seed: int = 404) -> None:
    """200 steps from a zero sum, from a caller's non-zero sum, and with other lr and eps."""
    rng = np.random.default_rng(seed)
    for shape in [(6,), (3, 4)]:
        _compare(fn, rng.standard_normal(shape), _gradients(rng, shape, steps), "random gradients")
    start = 10.0 ** rng.uniform(-2, 2, size=5)
    params, grads = rng.standard_normal(5), _gradients(rng, (5,), 30)
    _compare(fn, params, grads, "a non-zero sum_sq passed in", sum_sq=start)
    params, grads = rng.standard_normal(5), _gradients(rng, (5,), 60)
    _compare(fn, params, grads, "other hyperparameters", hyper={"lr": 0.3, "eps": 1e-3})


def check_adagrad_shapes_and_dtypes(fn: Callable[..., Any], seed: int = 405) -> None:
    """Works on any shape, from a single number to a 3-D array, in float32 and float64."""
    check_shapes_and_dtypes(fn, ADAGRAD, seed)


def check_adagrad_edge_cases(fn: Callable[..., Any], seed: int = 406) -> None:
    """Zero gradients (no NaN), exact zeros, tiny and huge gradients, a large learning rate."""
    rng = np.random.default_rng(seed)
    shape = (8,)
    params = rng.standard_normal(shape)
    _compare(fn, params, [np.zeros(shape) for _ in range(3)], "all-zero gradients")
    mixed = [g * (rng.random(shape) < 0.5) for g in _gradients(rng, shape, 8)]
    _compare(fn, params, mixed, "gradients with exact zeros")
    tiny = [1e-9 * g for g in _gradients(rng, shape, 8)]
    _compare(fn, params, tiny, "tiny gradients (about 1e-9 to 1e-12)")
    huge = [1e6 * g for g in _gradients(rng, shape, 8)]
    _compare(fn, params, huge, "huge gradients (about 1e6)")
    _compare(
        fn, params * 10, _gradients(rng, shape, 8), "large learning rate", {"lr": 2.0, "eps": 1e-8}
    )


def check_adagrad_inputs_unchanged(fn: Callable[..., Any], seed: int = 407) -> None:
    """The function returns new arrays and leaves params, grad and sum_sq exactly as they were."""
    check_inputs_unchanged(fn, ADAGRAD, seed)


# --- Exercise 3: RMSprop's effective learning rate once the cache has settled --------------------
# The gradient alternates g1, g2, g1, g2, ... from a zero cache. In the steady cycle the cache
# after a g1 step (c1) and after a g2 step (c2) satisfy c1 = beta*c2 + (1-beta)*g1**2 and
# c2 = beta*c1 + (1-beta)*g2**2, so c1 = (g1**2 + beta*g2**2) / (1 + beta) and symmetrically.
# A constant gradient (g1 = g2) and a sign flip (g2 = -g1) both give c = g**2: the cache only
# sees squares, so RMSprop does not damp a flipping gradient the way momentum does.
def steady_effective_lr(
    lr: float, g1: float, g2: float, beta: float = 0.9, eps: float = 1e-8
) -> tuple[float, float]:
    """Reference: lr / (sqrt(cache) + eps) right after a g1 step and right after a g2 step."""
    a, b, beta = float(g1) ** 2, float(g2) ** 2, float(beta)
    after_1 = (a + beta * b) / (1.0 + beta)
    after_2 = (b + beta * a) / (1.0 + beta)
    return lr / (math.sqrt(after_1) + eps), lr / (math.sqrt(after_2) + eps)


def _from_caches(caches: Callable[[float, float, float], tuple]) -> Callable[..., tuple]:
    """A wrong answer: lr / (sqrt(cache) + eps) for the two caches ``caches(g1, g2, beta)``."""

    def compute(lr: float, g1: float, g2: float, beta: float = 0.9, eps: float = 1e-8) -> tuple:
        return tuple(lr / (math.sqrt(c) + eps) for c in caches(g1, g2, beta))

    return compute


STEADY_LR_MISTAKES = (
    Mistake(
        "the first step's value (a cache of (1 - beta) * g**2) instead of the steady state",
        "the cache starts at zero and fills up over many steps; the question is where it settles",
        _from_caches(lambda g1, g2, beta: ((1 - beta) * g1 * g1, (1 - beta) * g2 * g2)),
    ),
    Mistake(
        "only the latest gradient counted (a cache of g**2)",
        "the cache remembers earlier steps too, weighted by powers of beta",
        _from_caches(lambda g1, g2, beta: (g1 * g1, g2 * g2)),
    ),
    Mistake(
        "the plain mean of the two squared gradients, the same after both steps",
        "the most recent squared gradient weighs more than the one before it",
        _from_caches(lambda g1, g2, beta: ((g1 * g1 + g2 * g2) / 2, (g1 * g1 + g2 * g2) / 2)),
    ),
    Mistake(
        "the gradients averaged before squaring (opposite signs cancel)",
        "the cache adds up squared gradients, so a sign never cancels anything",
        _from_caches(lambda g1, g2, beta: (((g1 + g2) / 2) ** 2, ((g1 + g2) / 2) ** 2)),
    ),
    Mistake(
        "one cache update from the other gradient's square instead of the steady cycle",
        "the cache before a g1 step is itself the result of the cycle, not just the other "
        "gradient squared: write both updates and solve them together",
        _from_caches(lambda x, y, b: (b * y * y + (1 - b) * x * x, b * x * x + (1 - b) * y * y)),
    ),
    Mistake(
        "the two results in the wrong order (after a g2 step first)",
        "return the value right after a g1 step first",
        lambda lr, g1, g2, beta=0.9, eps=1e-8: steady_effective_lr(lr, g2, g1, beta, eps),
    ),
    Mistake(
        "the two cache equations solved with weights that do not add up to 1",
        "check your solution of the two cache equations: with g1 = g2 the cache must be g**2",
        _from_caches(lambda g1, g2, beta: (g1 * g1 + beta * g2 * g2, g2 * g2 + beta * g1 * g1)),
    ),
    Mistake(
        "eps inside the square root",
        "the effective learning rate is lr / (sqrt(cache) + eps), as in rmsprop_step",
        lambda lr, g1, g2, beta=0.9, eps=1e-8: tuple(
            lr / math.sqrt(c + eps)
            for c in (
                (g1 * g1 + beta * g2 * g2) / (1 + beta),
                (g2 * g2 + beta * g1 * g1) / (1 + beta),
            )
        ),
    ),
    Mistake(
        "Adagrad's long-run value (0)",
        "RMSprop's cache is a moving average, so it settles instead of growing forever",
        lambda lr, g1, g2, beta=0.9, eps=1e-8: (0.0, 0.0),
    ),
)

STEADY_LR_HINT = (
    "in the steady cycle the cache right after a g1 step and the cache right after a g2 step each "
    "follow from the other through one cache update; write both and solve them together"
)


def _check_steady_case(fn: Callable[..., Any], *args: Any) -> None:
    with substituted(fn, rmsprop_step=ref.rmsprop_step):
        check_numbers(
            fn,
            "steady_effective_lr",
            args,
            steady_effective_lr(*args),
            mistakes=STEADY_LR_MISTAKES,
            what=("after a g1 step", "after a g2 step"),
            hint=STEADY_LR_HINT,
            rtol=1e-7,
        )


def check_steady_lr_values(fn: Callable[..., Any], seed: int = 408) -> None:
    """Fresh random learning rates, gradient pairs (any signs and sizes) and betas up to 0.99."""
    rng = np.random.default_rng(seed)
    for _ in range(12):
        lr = round(float(10 ** rng.uniform(-3, 0)), 6)
        g1, g2 = (round(float(s * 10 ** rng.uniform(-2, 1.5)), 6) for s in rng.choice([-1, 1], 2))
        beta = round(float(rng.uniform(0.05, 0.99)), 4)
        _check_steady_case(fn, lr, g1, g2, beta, 1e-8)


def check_steady_lr_cases(fn: Callable[..., Any], seed: int = 409) -> None:
    """Constant and sign-flipping gradients, a zero every other step, beta = 0, tiny gradients."""
    rng = np.random.default_rng(seed)
    g = round(float(rng.uniform(0.5, 5)), 6)
    for beta in (0.5, 0.9, 0.99):
        _check_steady_case(fn, 0.01, g, g, beta, 1e-8)
        _check_steady_case(fn, 0.01, g, -g, beta, 1e-8)
        _check_steady_case(fn, 0.01, -g, 0.0, beta, 1e-8)
    _check_steady_case(fn, 0.3, 2.0, -0.25, 0.0, 1e-8)
    _check_steady_case(fn, 0.001, 3e-9, -1e-9, 0.9, 1e-8)
    _check_steady_case(
        fn, np.float64(0.05), np.float64(1.5), np.float32(-0.5), np.float64(0.8), 1e-6
    )
