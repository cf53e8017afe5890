"""Hidden checks for notebook 06 (AdamW): the update rule's misreadings, and the decay alone.

``adamw_step`` is graded by the kit's ``update_rules`` checks with ``ADAMW``, the kit's rule with
this notebook's own catalogue of mistakes: the notebook states the decoupled decay in words only
(``- lr * weight_decay * params``, the params from before the step), so the feedback names each
misreading of the words without writing the decay out.

``decay_only_fraction(lr, weight_decay, num_steps)``: the fraction of a weight whose gradient is
always zero that AdamW's decay leaves after num_steps steps, ``(1 - lr*weight_decay)**num_steps``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from autograder.kit.core import Mistake, check_numbers
from autograder.kit.update_rules import rule_for

# (1 - x)**n rounds 1 - x to float64 first, an error of up to n * 2**-54 relative: at most 6e-10
# for the 10**7 steps tested here, so the kit's 1e-8 lets an exact method (exp(n*log1p(-x))) pass.
ATOL = 1e-12


# --- Exercise 1: adamw_step, misreadings of the rule in words ------------------------------------
def _adamw_as(decay: str, correct: bool = True, eps_inside: bool = False) -> Callable[..., Any]:
    """AdamW with the decay read as ``decay`` says (or with one of Adam's slips)."""

    def rule(p, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
        grad = g + weight_decay * p if decay == "l2" else g
        new_m, new_v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad * grad
        m_hat = new_m / (1 - beta1**t) if correct else new_m
        v_hat = new_v / (1 - beta2**t) if correct else new_v
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        step, shrink = lr * m_hat / denom, lr * weight_decay * p
        new_p = {
            "decoupled": p - step - shrink,
            "l2": p - step,
            "none": p - step,
            "unscaled": p - step - weight_decay * p,
            "after": (p - step) * (1 - lr * weight_decay),
            "plus": p - step + shrink,
            "adaptive": p - step - shrink / denom,
        }[decay]
        return new_p, new_m, new_v

    return rule


ADAMW_MISTAKES = (
    Mistake(
        "Adam + L2 (lambda * params added to the gradient)",
        "the decoupled decay never passes through the gradient: m and v see the gradient only",
        _adamw_as("l2"),
    ),
    Mistake(
        "weight decay not scaled by the learning rate",
        "reread how large a fraction of a weight one step removes: the learning rate is part of it",
        _adamw_as("unscaled"),
    ),
    Mistake(
        "decay applied to the updated parameter (after Adam's step)",
        "the fraction is taken of the weight as it was at the start of the step",
        _adamw_as("after"),
    ),
    Mistake(
        "decay divided by Adam's denominator (sqrt(v_hat) + eps)",
        "the decoupled decay bypasses Adam's scaling: every weight loses the same fraction of "
        "itself, whatever the size of its gradients",
        _adamw_as("adaptive"),
    ),
    Mistake(
        "weight decay with the wrong sign (the weights grow)",
        "the decay shrinks every weight toward zero",
        _adamw_as("plus"),
    ),
    Mistake(
        "no weight decay at all (plain Adam)",
        "add the decoupled decay of Section 2 to Adam's step",
        _adamw_as("none"),
    ),
    Mistake(
        "AdamW without bias correction",
        "divide m by (1 - beta1**t) and v by (1 - beta2**t) before the step, as in Adam",
        _adamw_as("decoupled", correct=False),
    ),
    Mistake(
        "eps inside the square root (sqrt(v_hat + eps))",
        "add eps outside the root: m_hat / (sqrt(v_hat) + eps)",
        _adamw_as("decoupled", eps_inside=True),
    ),
)

# The kit's AdamW rule (reference, state, hyperparameters) with this notebook's catalogue.
ADAMW = replace(rule_for("adamw_step"), mistakes=ADAMW_MISTAKES)


# --- Exercise 2: reference -----------------------------------------------------------------------
def decay_only_fraction(lr: float, weight_decay: float, num_steps: int) -> float:
    """Reference: the fraction (1 - lr*weight_decay)**num_steps of a zero-gradient weight left."""
    return (1.0 - float(lr) * float(weight_decay)) ** int(num_steps)


# --- known mistakes ------------------------------------------------------------------------------
DECAY_MISTAKES = [
    Mistake(
        "computed in float32 (1 - lr*weight_decay rounds to 1)",
        "compute with Python floats (float64): in float32 a decay this small next to 1 is "
        "rounded away",
        lambda lr, wd, n: float((np.float32(1) - np.float32(lr) * np.float32(wd)) ** np.float32(n)),
    ),
    Mistake(
        "(1 - weight_decay)**num_steps, without the learning rate",
        "AdamW's decay per step is scaled by the learning rate as well",
        lambda lr, wd, n: (1 - wd) ** n,
    ),
    Mistake(
        "exp(-weight_decay * num_steps), without the learning rate",
        "the fraction one step removes involves the learning rate too",
        lambda lr, wd, n: math.exp(-wd * n),
    ),
    Mistake(
        "a straight line, 1 - num_steps * lr * weight_decay",
        "each step removes its fraction of what is *left*, not of the starting weight",
        lambda lr, wd, n: 1 - n * lr * wd,
    ),
    Mistake(
        "the smooth approximation exp(-lr * weight_decay * num_steps)",
        "that is a continuous-time approximation: count the discrete steps exactly",
        lambda lr, wd, n: math.exp(-lr * wd * n),
    ),
    Mistake(
        "the fraction removed, not the fraction left",
        "return the fraction of the weight that is *left*",
        lambda lr, wd, n: 1 - (1 - lr * wd) ** n,
    ),
    Mistake(
        "one step too many ((1 - lr*weight_decay)**(num_steps + 1))",
        "the decay acts exactly once per step: count the steps again",
        lambda lr, wd, n: (1 - lr * wd) ** (n + 1),
    ),
    Mistake(
        "one step too few ((1 - lr*weight_decay)**(num_steps - 1))",
        "the decay acts exactly once per step: count the steps again",
        lambda lr, wd, n: (1 - lr * wd) ** (n - 1),
    ),
    Mistake(
        "the decay factor raised to lr * num_steps ((1 - weight_decay)**(lr * num_steps))",
        "the learning rate scales each step's fraction, not the number of steps",
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
        hint="follow one zero-gradient weight through one step of the decay, then two, then many",
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
    cases = [(1e-5, 1e-4, 10**6), (1e-5, 1e-4, 10**7), (3e-6, 0.01, 10**7), (1e-4, 1e-4, 10**7)]
    for lr, weight_decay, steps in cases:
        _check_decay_case(fn, lr, weight_decay, steps)


def check_decay_edge_cases(fn: Callable[..., Any]) -> None:
    """Zero steps, one step, no decay, lr*weight_decay of 1, and a factor below zero."""
    cases = [(0.01, 0.1, 0), (0.01, 0.1, 1), (0.001, 0.0, 500), (0.5, 2.0, 3), (0.5, 0.8, 7)]
    for lr, weight_decay, steps in [*cases, (1.0, 1.5, 5)]:
        _check_decay_case(fn, lr, weight_decay, steps)
