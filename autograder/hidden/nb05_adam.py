"""Hidden checks for notebook 05 (Adam): the bias-correction factors, and when they stop mattering.

``bias_correction_factors(beta1, beta2, t)``: the factors Adam multiplies m and v by at step t,
``(1 / (1 - beta1**t), 1 / (1 - beta2**t))``. At t = 1 they undo the (1 - beta) of the first
average exactly: m_hat = g and v_hat = g**2.

``correction_negligible_from(beta1, beta2, tolerance)`` (a thinking exercise): the first step from
which on, for a constant gradient, the step without bias correction stays within ``tolerance`` of
the corrected one. The feedback names misreadings without giving the formula.

(The update rule itself is graded by the kit's ``update_rules`` checks.) Each ``check_*``
function is one graded property (one test cell).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder import references as ref
from autograder.kit.core import Mistake, check_numbers, substituted

# A float answer counts as right within 1e-8 relative (the kit's default), or this near 0.
ATOL = 1e-12


# --- references ----------------------------------------------------------------------------------
def bias_correction_factors(beta1: float, beta2: float, t: int) -> tuple[float, float]:
    """Reference: (1 / (1 - beta1**t), 1 / (1 - beta2**t)) for the step number t >= 1."""
    return 1.0 / (1.0 - float(beta1) ** int(t)), 1.0 / (1.0 - float(beta2) ** int(t))


BIAS_CORRECTION_MISTAKES = [
    Mistake(
        "t counted from 0 (1 / (1 - beta**(t + 1)))",
        "t is the number of this step and is already 1 on the first step: do not shift it",
        lambda b1, b2, t: (1 / (1 - b1 ** (t + 1)), 1 / (1 - b2 ** (t + 1))),
    ),
    Mistake(
        "one step behind (1 / (1 - beta**(t - 1)))",
        "t is already the number of this step: use it as it is",
        lambda b1, b2, t: (1 / (1 - b1 ** (t - 1)), 1 / (1 - b2 ** (t - 1))),
    ),
    Mistake(
        "(1 - beta)**t in place of 1 - beta**t",
        "the weight the average is missing after t steps is a power of beta, not of (1 - beta)",
        lambda b1, b2, t: (1 / (1 - b1) ** t, 1 / (1 - b2) ** t),
    ),
    Mistake(
        "beta**t alone (1 / beta**t)",
        "beta**t is the weight the average is missing; the factor scales up the weight it has",
        lambda b1, b2, t: (1 / b1**t, 1 / b2**t),
    ),
    Mistake(
        "the denominators returned, not the factors (1 - beta**t)",
        "return the numbers that *multiply* m and v (at least 1), not the ones they are divided by",
        lambda b1, b2, t: (1 - b1**t, 1 - b2**t),
    ),
    Mistake(
        "beta1 and beta2 swapped",
        "the first factor belongs to m and uses beta1; the second belongs to v and uses beta2",
        lambda b1, b2, t: (1 / (1 - b2**t), 1 / (1 - b1**t)),
    ),
    Mistake(
        "no power of t (1 / (1 - beta))",
        "that is only right at t = 1; later the weight the average is missing depends on t",
        lambda b1, b2, t: (1 / (1 - b1), 1 / (1 - b2)),
    ),
    Mistake(
        "a square root on the second factor (1 / sqrt(1 - beta2**t))",
        "return the factor for v itself; the square root comes later, in the step, when Adam "
        "takes sqrt(v_hat)",
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
        hint="each factor makes up for the weight its running average is still missing after "
        "t steps (the weights of its terms add up to less than 1)",
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


# --- Exercise 3: the step from which on bias correction no longer matters ------------------------
# For a constant gradient (eps ignored) the corrected step is lr and the uncorrected one lr * r_t,
# r_t = (1 - beta1**t) / sqrt(1 - beta2**t), not monotone in t. Once both beta**t are below
# min(tolerance, 1) / 4, 1 - tolerance < r_t < 1 + tolerance (the catalogued variants too): the
# last step outside the band comes before that.
def _negligible_from(ratio: Callable[..., Any], first_inside: bool = False) -> Callable[..., int]:
    """The answer computed from a ratio r(beta1, beta2, t) (the mistakes swap in their own)."""

    def answer(beta1: float, beta2: float, tolerance: float) -> int:
        slowest = max(float(beta1), float(beta2), 1e-300)
        end = int(math.ceil(math.log(min(float(tolerance), 1.0) / 4) / math.log(slowest))) + 1
        t = np.arange(1.0, max(end, 1) + 1)
        inside = np.abs(ratio(float(beta1), float(beta2), t) - 1.0) < tolerance
        if first_inside:
            return int(t[inside][0]) if inside.any() else end + 1
        return int(t[~inside][-1]) + 1 if (~inside).any() else 1

    return answer


def _ratio(b1: float, b2: float, t: np.ndarray) -> np.ndarray:
    return (1.0 - b1**t) / np.sqrt(1.0 - b2**t)


correction_negligible_from = _negligible_from(_ratio)  # the reference

NEGLIGIBLE_MISTAKES = [
    Mistake(
        "the first step inside the tolerance, though a later step leaves it again",
        "the ratio is not monotone: find the step after which it never leaves the band again",
        _negligible_from(_ratio, first_inside=True),
    ),
    Mistake(
        "an estimate of the tail (log of the tolerance over log of beta2), not checked",
        "an estimate can be off by a few steps: test your step against the exact ratio",
        lambda b1, b2, tol: math.ceil(math.log(2 * tol) / math.log(b2)) if 0 < b2 < 1 else 1,
    ),
    Mistake(
        "the last step outside the tolerance, one step too early",
        "return the first step from which on every step is inside the band",
        lambda b1, b2, tol: correction_negligible_from(b1, b2, tol) - 1,
    ),
    Mistake(
        "the square root of v's correction left out",
        "the step divides by the square root of v_hat: v's correction enters through that root",
        _negligible_from(lambda b1, b2, t: (1.0 - b1**t) / (1.0 - b2**t)),
    ),
    Mistake(
        "only m's correction counted",
        "without correction both m and v are off, and the step uses both",
        _negligible_from(lambda b1, b2, t: 1.0 - b1**t),
    ),
]


def _check_negligible_case(fn: Callable[..., Any], beta1: float, beta2: float, tol: float) -> None:
    # a student may measure with adam_step, or use bias_correction_factors: give them right ones
    with substituted(fn, adam_step=ref.adam_step, bias_correction_factors=bias_correction_factors):
        check_numbers(
            fn,
            "correction_negligible_from",
            (beta1, beta2, tol),
            correction_negligible_from(beta1, beta2, tol),
            mistakes=NEGLIGIBLE_MISTAKES,
            hint="compare the uncorrected step with the corrected one at every t, and find the "
            "step after which the two never differ by the tolerance again",
        )


def negligible_cases(seed: int = 54) -> list[tuple[float, float, float]]:
    """Random betas (beta2 up to 0.999) and tolerances from 0.1% to 10%, the same for one seed."""
    rng = np.random.default_rng(seed)
    return [
        (
            round(float(rng.uniform(0.5, 0.99)), 4),
            round(float(rng.uniform(0.9, 0.999)), 5),
            round(float(10 ** rng.uniform(-3, -1)), 6),
        )
        for _ in range(10)
    ]


# r_1 = 1 exactly in the first two ((1 - beta1)**2 = 1 - beta2); beta1 > beta2 in the fourth
EVERY_LATER_STEP_CASES = [(0.9, 0.99, 0.01), (0.8, 0.96, 0.02), (0.99, 0.999, 0.05)]
EVERY_LATER_STEP_CASES += [(0.99, 0.9, 0.01), (0.95, 0.999, 0.002), (0.0, 0.999, 0.01)]
EVERY_LATER_STEP_CASES += [(0.9, 0.0, 0.03), (0.0, 0.0, 0.01), (0.9, 0.999, 10.0)]


def check_negligible_values(fn: Callable[..., Any], seed: int = 54) -> None:
    """Fresh random betas (beta2 up to 0.999) and tolerances from 0.1% to 10%."""
    for case in negligible_cases(seed):
        _check_negligible_case(fn, *case)


def check_negligible_every_later_step(fn: Callable[..., Any]) -> None:
    """Ratios that touch the band early and leave it, approach it from below, or never leave it."""
    for case in EVERY_LATER_STEP_CASES:
        _check_negligible_case(fn, *case)
