"""Hidden checks for notebook 06 (AdamW): what the decoupled decay alone leaves of a weight.

``decay_only_fraction(lr, weight_decay, num_steps)``: the fraction of a weight whose gradient is
always zero that AdamW's decay leaves after num_steps steps, ``(1 - lr*weight_decay)**num_steps``.
(The update rule itself is graded by the kit's ``update_rules`` checks.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.kit.core import Mistake, check_numbers

# (1 - x)**n rounds 1 - x to float64 first, an error of up to n * 2**-54 relative: at most 6e-10
# for the 10**7 steps tested here, so the kit's 1e-8 lets an exact method (exp(n*log1p(-x))) pass.
ATOL = 1e-12


# --- reference -----------------------------------------------------------------------------------
def decay_only_fraction(lr: float, weight_decay: float, num_steps: int) -> float:
    """Reference: the fraction (1 - lr*weight_decay)**num_steps of a zero-gradient weight left."""
    return (1.0 - float(lr) * float(weight_decay)) ** int(num_steps)


# --- known mistakes ------------------------------------------------------------------------------
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


# --- the checks ----------------------------------------------------------------------------------
def _check_decay_case(fn: Callable[..., Any], lr: float, weight_decay: float, steps: int) -> None:
    check_numbers(
        fn,
        "decay_only_fraction",
        (lr, weight_decay, steps),
        decay_only_fraction(lr, weight_decay, steps),
        mistakes=DECAY_MISTAKES,
        hint="each step multiplies a zero-gradient weight by (1 - lr*weight_decay)",
        atol=ATOL,
        context=f"decay_only_fraction(lr={lr!r}, weight_decay={weight_decay!r}, num_steps={steps})",
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
