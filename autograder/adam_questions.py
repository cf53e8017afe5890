"""Hidden tests for the numeric questions of notebooks 05 (Adam) and 06 (AdamW).

- ``bias_correction_factors(beta1, beta2, t)``: the factors Adam multiplies m and v by at step t,
  ``(1 / (1 - beta1**t), 1 / (1 - beta2**t))``. At t = 1 they undo the (1 - beta) of the first
  average exactly: m_hat = g and v_hat = g**2.
- ``decay_only_fraction(lr, weight_decay, num_steps)``: what AdamW's decay alone leaves of a weight
  whose gradient is always zero, ``(1 - lr*weight_decay)**num_steps``.

Each ``check_*`` function is one graded property (one test cell); a wrong answer that matches a
catalogued mistake is named, with advice. Nothing here prints to stderr.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .checks import Mistake, call, describe, fail, quiet

# A float answer counts as right within this relative error (or this absolute error near 0).
# (1 - x)**n rounds 1 - x to float64 first, an error of up to n * 2**-54 relative: at most 6e-10
# for the 10**7 steps tested here, so an exact method (exp(n * log1p(-x))) passes as well.
RTOL = 1e-8
ATOL = 1e-12


# --- references ----------------------------------------------------------------------------------
def bias_correction_factors(beta1: float, beta2: float, t: int) -> tuple[float, float]:
    """Reference: (1 / (1 - beta1**t), 1 / (1 - beta2**t)) for the step number t >= 1."""
    return 1.0 / (1.0 - float(beta1) ** int(t)), 1.0 / (1.0 - float(beta2) ** int(t))


def decay_only_fraction(lr: float, weight_decay: float, num_steps: int) -> float:
    """Reference: the fraction (1 - lr*weight_decay)**num_steps of a zero-gradient weight left."""
    return (1.0 - float(lr) * float(weight_decay)) ** int(num_steps)


# --- known mistakes ------------------------------------------------------------------------------
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

DECAY_MISTAKES = [
    Mistake(
        "computed in float32 (1 - lr*weight_decay rounds to 1)",
        "compute with Python floats (float64): in float32, 1 - lr*weight_decay is exactly 1 "
        "whenever lr*weight_decay is below about 3e-8",
        lambda lr, wd, n: float((np.float32(1) - np.float32(lr) * np.float32(wd)) ** np.float32(n)),
    ),
    Mistake(
        "(1 - weight_decay)**num_steps, without the learning rate",
        "each step multiplies the weight by (1 - lr * weight_decay)",
        lambda lr, wd, n: (1 - wd) ** n,
    ),
    Mistake(
        "exp(-weight_decay * num_steps), without the learning rate",
        "AdamW's decay per step is lr * weight_decay, not weight_decay",
        lambda lr, wd, n: math.exp(-wd * n),
    ),
    Mistake(
        "a straight line, 1 - num_steps * lr * weight_decay",
        "each step removes lr*weight_decay of what is *left*, not of the starting weight: "
        "the steps multiply, (1 - lr*weight_decay)**num_steps",
        lambda lr, wd, n: 1 - n * lr * wd,
    ),
    Mistake(
        "the smooth approximation exp(-lr * weight_decay * num_steps)",
        "it is close when lr*weight_decay is small, but the exact answer multiplies "
        "(1 - lr*weight_decay) once per step: (1 - lr*weight_decay)**num_steps",
        lambda lr, wd, n: math.exp(-lr * wd * n),
    ),
    Mistake(
        "the fraction removed, not the fraction left",
        "return what is left of the weight: (1 - lr*weight_decay)**num_steps",
        lambda lr, wd, n: 1 - (1 - lr * wd) ** n,
    ),
    Mistake(
        "one step too many ((1 - lr*weight_decay)**(num_steps + 1))",
        "num_steps steps multiply by the factor exactly num_steps times",
        lambda lr, wd, n: (1 - lr * wd) ** (n + 1),
    ),
    Mistake(
        "one step too few ((1 - lr*weight_decay)**(num_steps - 1))",
        "num_steps steps multiply by the factor exactly num_steps times",
        lambda lr, wd, n: (1 - lr * wd) ** (n - 1),
    ),
    Mistake(
        "the decay factor raised to lr * num_steps ((1 - weight_decay)**(lr * num_steps))",
        "the learning rate scales the decay inside the factor: (1 - lr*weight_decay)**num_steps",
        lambda lr, wd, n: (1 - wd) ** (lr * n),
    ),
]


# --- comparing numbers ---------------------------------------------------------------------------
def _close(got: float, want: float, atol: float = ATOL) -> bool:
    if math.isnan(want):
        return math.isnan(got)
    if math.isinf(want):
        return got == want
    return math.isfinite(got) and abs(got - want) <= max(RTOL * abs(want), atol)


def _as_number(value: Any, context: str, what: str) -> float:
    """A single real number from what the student returned, or a clear failure."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(f"{context}: {what} should be a single number (a float), got {describe(value)}.")
    number = float(value)
    if not math.isfinite(number):
        fail(
            f"{context}: {what} is {number}.",
            hint="look for a division by zero or an overflow",
        )
    return number


def _matching_mistake(
    mistakes: Sequence[Mistake], args: Sequence[Any], got: Sequence[float]
) -> Mistake | None:
    for mistake in mistakes:
        try:
            with quiet():
                guess = mistake.compute(*args)
            guesses = [float(x) for x in (guess if isinstance(guess, tuple) else (guess,))]
        except Exception:  # noqa: BLE001, S112 - a mistake that cannot run simply does not match
            continue
        if len(guesses) == len(got) and all(
            _close(g, w) for g, w in zip(got, guesses, strict=True)
        ):
            return mistake
    return None


# --- bias correction factors ---------------------------------------------------------------------
def _check_factors_case(fn: Callable[..., Any], beta1: float, beta2: float, t: int) -> None:
    context = f"bias_correction_factors(beta1={beta1!r}, beta2={beta2!r}, t={t})"
    result = call(fn, "bias_correction_factors", beta1, beta2, t)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(
            f"{context} returned {describe(result)}; expected a tuple of two numbers.",
            hint="return both factors: `return factor_m, factor_v`",
        )
    got = [
        _as_number(result[0], context, "the first factor (for m)"),
        _as_number(result[1], context, "the second factor (for v)"),
    ]
    want = bias_correction_factors(beta1, beta2, t)
    if all(_close(g, w) for g, w in zip(got, want, strict=True)):
        return
    mistake = _matching_mistake(BIAS_CORRECTION_MISTAKES, (beta1, beta2, t), got)
    shown = f"returned ({got[0]:.10g}, {got[1]:.10g}), expected ({want[0]:.10g}, {want[1]:.10g})"
    if mistake is not None:
        fail(
            f"{context} {shown}: your result matches a known mistake, {mistake.name}.",
            hint=mistake.advice,
        )
    wrong = "first factor (for m)" if not _close(got[0], want[0]) else "second factor (for v)"
    fail(
        f"{context} {shown}: the {wrong} is wrong.",
        hint="the factors are 1 / (1 - beta1**t) and 1 / (1 - beta2**t)",
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


# --- decay alone ---------------------------------------------------------------------------------
def _check_decay_case(fn: Callable[..., Any], lr: float, weight_decay: float, steps: int) -> None:
    context = f"decay_only_fraction(lr={lr!r}, weight_decay={weight_decay!r}, num_steps={steps})"
    got = _as_number(
        call(fn, "decay_only_fraction", lr, weight_decay, steps), context, "the result"
    )
    want = decay_only_fraction(lr, weight_decay, steps)
    if _close(got, want):
        return
    mistake = _matching_mistake(DECAY_MISTAKES, (lr, weight_decay, steps), [got])
    shown = f"returned {got:.12g}, expected {want:.12g}"
    if mistake is not None:
        fail(
            f"{context} {shown}: your result matches a known mistake, {mistake.name}.",
            hint=mistake.advice,
        )
    fail(
        f"{context} {shown}.",
        hint="each step multiplies a zero-gradient weight by (1 - lr*weight_decay)",
    )


def check_decay_random(fn: Callable[..., Any], seed: int = 61) -> None:
    """Random learning rates, decays and step counts, where every shortcut shows."""
    rng = np.random.default_rng(seed)
    for _ in range(10):
        lr = float(10 ** rng.uniform(-3, -1))
        weight_decay = float(10 ** rng.uniform(-2, 0))
        # enough steps to leave between about 5% and 90% of the weight
        steps = max(2, int(rng.uniform(0.1, 3.0) / (lr * weight_decay)))
        _check_decay_case(fn, lr, weight_decay, steps)


def check_decay_tiny(fn: Callable[..., Any]) -> None:
    """Tiny lr*weight_decay over long runs (the float32 pitfall: 1 - 1e-9 rounds to 1)."""
    for lr, weight_decay, steps in [
        (1e-5, 1e-4, 10**6),
        (1e-5, 1e-4, 10**7),
        (3e-6, 0.01, 10**7),
        (1e-4, 1e-4, 10**7),
    ]:
        _check_decay_case(fn, lr, weight_decay, steps)


def check_decay_edge_cases(fn: Callable[..., Any]) -> None:
    """Zero steps, one step, no decay, lr*weight_decay of 1, and a factor below zero."""
    for lr, weight_decay, steps in [
        (0.01, 0.1, 0),
        (0.01, 0.1, 1),
        (0.001, 0.0, 500),
        (0.5, 2.0, 3),
        (0.5, 0.8, 7),
        (1.0, 1.5, 5),
    ]:
        _check_decay_case(fn, lr, weight_decay, steps)
