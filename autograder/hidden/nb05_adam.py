"""Hidden checks for notebook 05 (Adam): the bias-correction factors.

``bias_correction_factors(beta1, beta2, t)``: the factors Adam multiplies m and v by at step t,
``(1 / (1 - beta1**t), 1 / (1 - beta2**t))``. At t = 1 they undo the (1 - beta) of the first
average exactly: m_hat = g and v_hat = g**2. (The update rule itself is graded by the kit's
``update_rules`` checks.) Each ``check_*`` function is one graded property (one test cell).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.kit.core import Mistake, check_numbers

# A float answer counts as right within 1e-8 relative (the kit's default), or this near 0.
ATOL = 1e-12


# --- references ----------------------------------------------------------------------------------
def bias_correction_factors(beta1: float, beta2: float, t: int) -> tuple[float, float]:
    """Reference: (1 / (1 - beta1**t), 1 / (1 - beta2**t)) for the step number t >= 1."""
    return 1.0 / (1.0 - float(beta1) ** int(t)), 1.0 / (1.0 - float(beta2) ** int(t))


BIAS_CORRECTION_MISTAKES = [
    Mistake(
        "t counted from 0 (1 / (1 - beta**(t + 1)))",
        "t is the number of this step and is already 1 on the first step: use beta**t",
        lambda b1, b2, t: (1 / (1 - b1 ** (t + 1)), 1 / (1 - b2 ** (t + 1))),
    ),
    Mistake(
        "one step behind (1 / (1 - beta**(t - 1)))",
        "use beta**t with t itself, the number of this step",
        lambda b1, b2, t: (1 / (1 - b1 ** (t - 1)), 1 / (1 - b2 ** (t - 1))),
    ),
    Mistake(
        "(1 - beta)**t in place of 1 - beta**t",
        "raise beta to the power t, then subtract from 1: 1 / (1 - beta**t)",
        lambda b1, b2, t: (1 / (1 - b1) ** t, 1 / (1 - b2) ** t),
    ),
    Mistake(
        "beta**t alone (1 / beta**t)",
        "the factor is 1 / (1 - beta**t): the weight the average is missing is beta**t",
        lambda b1, b2, t: (1 / b1**t, 1 / b2**t),
    ),
    Mistake(
        "the denominators returned, not the factors (1 - beta**t)",
        "Adam divides m by (1 - beta1**t): the factor that multiplies m is 1 / (1 - beta1**t)",
        lambda b1, b2, t: (1 - b1**t, 1 - b2**t),
    ),
    Mistake(
        "beta1 and beta2 swapped",
        "the first factor belongs to m and uses beta1; the second belongs to v and uses beta2",
        lambda b1, b2, t: (1 / (1 - b2**t), 1 / (1 - b1**t)),
    ),
    Mistake(
        "no power of t (1 / (1 - beta))",
        "that is only right at t = 1; at step t the factor is 1 / (1 - beta**t)",
        lambda b1, b2, t: (1 / (1 - b1), 1 / (1 - b2)),
    ),
    Mistake(
        "a square root on the second factor (1 / sqrt(1 - beta2**t))",
        "return the factor for v itself, 1 / (1 - beta2**t); the square root comes later, "
        "in the step, when Adam takes sqrt(v_hat)",
        lambda b1, b2, t: (1 / (1 - b1**t), 1 / math.sqrt(1 - b2**t)),
    ),
]


# --- the checks ----------------------------------------------------------------------------------
def _check_factors_case(fn: Callable[..., Any], beta1: float, beta2: float, t: int) -> None:
    check_numbers(
        fn,
        "bias_correction_factors",
        (beta1, beta2, t),
        bias_correction_factors(beta1, beta2, t),
        mistakes=BIAS_CORRECTION_MISTAKES,
        what=("the first factor (for m)", "the second factor (for v)"),
        hint="the factors are 1 / (1 - beta1**t) and 1 / (1 - beta2**t)",
        atol=ATOL,
        context=f"bias_correction_factors(beta1={beta1!r}, beta2={beta2!r}, t={t})",
    )


def check_factors_random(fn: Callable[..., Any], seed: int = 51) -> None:
    """Random betas between 0.5 and 0.9999 and step numbers from 1 to a few thousand."""
    rng = np.random.default_rng(seed)
    for _ in range(12):
        beta1 = float(np.round(rng.uniform(0.5, 0.99), 4))
        beta2 = float(np.round(rng.uniform(0.9, 0.9999), 5))
        # no t = 2, where beta**(t - 1) is beta itself and two mistakes look alike
        t = int(rng.choice([1, 3, int(rng.integers(4, 60)), int(rng.integers(60, 5000))]))
        _check_factors_case(fn, beta1, beta2, t)


def check_factors_first_step(fn: Callable[..., Any], seed: int = 52) -> None:
    """At t = 1 the factors are 1 / (1 - beta): m_hat = g and v_hat = g**2 exactly."""
    rng = np.random.default_rng(seed)
    for beta1, beta2 in [(0.9, 0.999), (0.8, 0.99), (0.95, 0.9999)] + [
        (float(np.round(rng.uniform(0.5, 0.99), 3)), float(np.round(rng.uniform(0.9, 0.999), 4)))
        for _ in range(4)
    ]:
        _check_factors_case(fn, beta1, beta2, 1)


def check_factors_later_steps(fn: Callable[..., Any], seed: int = 53) -> None:
    """Later steps: the factors shrink toward 1 (t up to 10**6; beta**t may underflow to 0)."""
    rng = np.random.default_rng(seed)
    cases = [(0.9, 0.999, 10), (0.9, 0.999, 100), (0.9, 0.999, 1000), (0.9, 0.999, 10**6)]
    cases += [
        (float(np.round(rng.uniform(0.5, 0.99), 3)), 0.9999, int(rng.integers(2, 20000)))
        for _ in range(5)
    ]
    for beta1, beta2, t in cases:
        _check_factors_case(fn, beta1, beta2, t)
