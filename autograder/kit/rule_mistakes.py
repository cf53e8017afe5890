"""The known-mistake catalogue: realistic wrong update rules, each with a name and a fix.

When a student's answer is wrong, the hidden tests compute each catalogued mistake on the same
inputs; if one matches, the feedback names it ("your result matches Adam without bias
correction") instead of only printing numbers. Each function has its rule's signature.
"""

from __future__ import annotations

import numpy as np

from autograder.kit.core import Mistake
from autograder.references import adam_step


def _sqrt(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.abs(x))


# --- gradient descent ----------------------------------------------------------------------------
GD = [
    Mistake(
        "gradient ascent (params + lr * grad)",
        "a descent step moves against the gradient: check the sign of the step",
        lambda p, g, lr: p + lr * g,
    ),
    Mistake(
        "the learning rate left out (params - grad)",
        "the learning rate sets the step size: check that the step is scaled by it",
        lambda p, g, lr: p - g,
    ),
    Mistake(
        "dividing by the learning rate (params - grad / lr)",
        "a larger learning rate should give a larger step: check how lr enters the step",
        lambda p, g, lr: p - g / lr,
    ),
]

# --- momentum ------------------------------------------------------------------------------------
MOMENTUM = [
    Mistake(
        "the EMA form of momentum, v = beta*v + (1-beta)*g",
        "this course's velocity sums past gradients, undamped: check the new gradient's weight",
        lambda p, g, v, lr, beta: (p - lr * (beta * v + (1 - beta) * g), beta * v + (1 - beta) * g),
    ),
    Mistake(
        "beta and lr swapped (v = lr*v + g, p = p - beta*v)",
        "beta is the velocity's memory, lr the step size: check which one multiplies what",
        lambda p, g, v, lr, beta: (p - beta * (lr * v + g), lr * v + g),
    ),
    Mistake(
        "the step taken with the old velocity",
        "order of operations: check that the step uses the velocity updated with this gradient",
        lambda p, g, v, lr, beta: (p - lr * v, beta * v + g),
    ),
    Mistake(
        "no momentum at all (the velocity is just the gradient)",
        "momentum remembers past gradients: check that the old velocity carries into the new one",
        lambda p, g, v, lr, beta: (p - lr * g, g),
    ),
    Mistake(
        "the step taken uphill (params + lr * v)",
        "a descent step moves against the velocity: check the sign of the step",
        lambda p, g, v, lr, beta: (p + lr * (beta * v + g), beta * v + g),
    ),
    Mistake(
        "a Nesterov look-ahead step (p - lr*(g + beta*v_new))",
        "plain momentum, not Nesterov's look-ahead: check which velocity the step uses",
        lambda p, g, v, lr, beta: (p - lr * (g + beta * (beta * v + g)), beta * v + g),
    ),
]

# --- RMSprop -------------------------------------------------------------------------------------
RMSPROP = [
    Mistake(
        "RMSprop without the (1 - beta) factor (cache = beta*cache + g**2)",
        "the cache is a moving average: check that its two weights add up to 1",
        lambda p, g, c, lr, beta, eps: (
            p - lr * g / (np.sqrt(beta * c + g * g) + eps),
            beta * c + g * g,
        ),
    ),
    Mistake(
        "eps inside the square root (sqrt(cache + eps))",
        "eps only guards against division by zero: check where it is added relative to the root",
        lambda p, g, c, lr, beta, eps: (
            p - lr * g / np.sqrt(beta * c + (1 - beta) * g * g + eps),
            beta * c + (1 - beta) * g * g,
        ),
    ),
    Mistake(
        "the square root left out (g / (cache + eps))",
        "RMSprop divides by a root mean square: check the units of the denominator",
        lambda p, g, c, lr, beta, eps: (
            p - lr * g / (beta * c + (1 - beta) * g * g + eps),
            beta * c + (1 - beta) * g * g,
        ),
    ),
    Mistake(
        "the step divided by the old cache",
        "order of operations: check that the step divides by the cache updated with this gradient",
        lambda p, g, c, lr, beta, eps: (
            p - lr * g / (np.sqrt(c) + eps),
            beta * c + (1 - beta) * g * g,
        ),
    ),
    Mistake(
        "the gradient not squared in the cache",
        "the cache tracks the gradients' magnitude: check what is averaged into it",
        lambda p, g, c, lr, beta, eps: (
            p - lr * g / (_sqrt(beta * c + (1 - beta) * g) + eps),
            beta * c + (1 - beta) * g,
        ),
    ),
    Mistake(
        "beta and (1 - beta) swapped in the cache",
        "a moving average keeps most of its memory: check which term gets the larger weight",
        lambda p, g, c, lr, beta, eps: (
            p - lr * g / (np.sqrt((1 - beta) * c + beta * g * g) + eps),
            (1 - beta) * c + beta * g * g,
        ),
    ),
]


# --- Adam and AdamW ------------------------------------------------------------------------------
def _adam_variant(
    p,
    g,
    m,
    v,
    t,
    lr,
    beta1,
    beta2,
    eps,
    *,
    correct_m=True,
    correct_v=True,
    t_offset=0,
    eps_inside=False,
    swap_betas=False,
    decay=0.0,
    decay_mode="none",
):
    """Adam with one thing changed; decay_mode is how (wrongly) weight decay is applied."""
    if swap_betas:
        beta1, beta2 = beta2, beta1
    grad = g + decay * p if decay_mode == "l2" else g
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad * grad
    tt = t + t_offset
    m_hat = new_m / (1 - beta1**tt) if correct_m else new_m
    v_hat = new_v / (1 - beta2**tt) if correct_v else new_v
    denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    step = lr * m_hat / denom
    if decay_mode == "unscaled":
        new_p = p - step - decay * p
    elif decay_mode == "after":
        new_p = (p - step) * (1 - lr * decay)
    elif decay_mode == "decoupled":
        new_p = p - step - lr * decay * p
    elif decay_mode == "plus":
        new_p = p - step + lr * decay * p
    else:
        new_p = p - step
    return new_p, new_m, new_v


ADAM = [
    Mistake(
        "Adam without bias correction",
        "bias correction: the moments start at zero; check both are corrected before the step",
        lambda *a, **k: _adam_variant(*a, **k, correct_m=False, correct_v=False),
    ),
    Mistake(
        "bias correction with t counted from 0 (1 - beta**(t+1))",
        "bias correction depends on the step count: check what t is on the first call",
        lambda *a, **k: _adam_variant(*a, **k, t_offset=1),
    ),
    Mistake(
        "bias correction with beta**(t-1)",
        "bias correction depends on the step count: check what t is on the first call",
        lambda *a, **k: _adam_variant(*a, **k, t_offset=-1),
    ),
    Mistake(
        "eps inside the square root (sqrt(v_hat + eps))",
        "eps only guards against division by zero: check where it is added relative to the root",
        lambda *a, **k: _adam_variant(*a, **k, eps_inside=True),
    ),
    Mistake(
        "beta1 and beta2 swapped",
        "each beta belongs to one moment: check which averages the gradients, which their squares",
        lambda *a, **k: _adam_variant(*a, **k, swap_betas=True),
    ),
    Mistake(
        "bias correction on m only",
        "bias correction applies to both moments: check the second moment",
        lambda *a, **k: _adam_variant(*a, **k, correct_v=False),
    ),
    Mistake(
        "bias correction on v only",
        "bias correction applies to both moments: check the first moment",
        lambda *a, **k: _adam_variant(*a, **k, correct_m=False),
    ),
]


def _adamw_as(decay_mode: str, **changes):
    def compute(p, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
        adam_args = (p, g, m, v, t, lr, beta1, beta2, eps)
        return _adam_variant(*adam_args, decay=weight_decay, decay_mode=decay_mode, **changes)

    return compute


def _adam_no_decay(p, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    return adam_step(p, g, m, v, t, lr, beta1, beta2, eps)


ADAMW = [
    Mistake(
        "Adam + L2 (lambda * params added to the gradient)",
        "decoupled weight decay acts on the weights, outside the adaptive step: "
        "check that it never passes through the moments",
        _adamw_as("l2"),
    ),
    Mistake(
        "weight decay not scaled by the learning rate (- lambda * params)",
        "the decay is a step too: check that it is scaled by the learning rate",
        _adamw_as("unscaled"),
    ),
    Mistake(
        "decay applied to the updated parameter ((p - step) * (1 - lr*lambda))",
        "order of operations: check whether the decay shrinks the weights before or after the step",
        _adamw_as("after"),
    ),
    Mistake(
        "weight decay with the wrong sign (+ lr*lambda*params)",
        "weight decay pulls the weights towards zero: check the sign of the decay term",
        _adamw_as("plus"),
    ),
    Mistake(
        "no weight decay at all (plain Adam)",
        "AdamW is Adam plus weight decay: check that weight_decay is used",
        _adam_no_decay,
    ),
    Mistake(
        "AdamW without bias correction",
        "bias correction: the moments start at zero; check both are corrected before the step",
        _adamw_as("decoupled", correct_m=False, correct_v=False),
    ),
    Mistake(
        "eps inside the square root (sqrt(v_hat + eps))",
        "eps only guards against division by zero: check where it is added relative to the root",
        _adamw_as("decoupled", eps_inside=True),
    ),
]


# --- Lion ----------------------------------------------------------------------------------------
def _lion_variant(
    p,
    g,
    m,
    lr,
    beta1,
    beta2,
    weight_decay,
    *,
    swap=False,
    momentum_first=False,
    sign_of="interpolation",
    decay_mode="scaled",
    momentum_beta="beta2",
):
    if swap:
        beta1, beta2 = beta2, beta1
    mb = beta2 if momentum_beta == "beta2" else beta1
    new_m = mb * m + (1 - mb) * g
    source = new_m if momentum_first else m
    interp = beta1 * source + (1 - beta1) * g
    if sign_of == "gradient":
        direction = np.sign(g)
    elif sign_of == "none":
        direction = interp
    else:
        direction = np.sign(interp)
    if decay_mode == "unscaled":
        new_p = p * (1 - weight_decay) - lr * direction
    elif decay_mode == "after":
        new_p = (p - lr * direction) * (1 - lr * weight_decay)
    else:
        new_p = p * (1 - lr * weight_decay) - lr * direction
    return new_p, new_m


LION = [
    Mistake(
        "beta1 and beta2 swapped",
        "Lion's betas: one blends the direction, one updates the momentum; check which is which",
        lambda *a, **k: _lion_variant(*a, **k, swap=True),
    ),
    Mistake(
        "the momentum updated before taking the sign",
        "order of operations: check that the direction is taken before the momentum is updated",
        lambda *a, **k: _lion_variant(*a, **k, momentum_first=True),
    ),
    Mistake(
        "the sign of the raw gradient (no interpolation with m)",
        "Lion's direction blends the momentum with the gradient: check what the sign is taken of",
        lambda *a, **k: _lion_variant(*a, **k, sign_of="gradient"),
    ),
    Mistake(
        "no sign() (the interpolation used as the step)",
        "Lion is a sign method: check that every coordinate moves by the same amount",
        lambda *a, **k: _lion_variant(*a, **k, sign_of="none"),
    ),
    Mistake(
        "weight decay not scaled by the learning rate (params * (1 - lambda))",
        "the decay is a step too: check that it is scaled by the learning rate",
        lambda *a, **k: _lion_variant(*a, **k, decay_mode="unscaled"),
    ),
    Mistake(
        "the momentum updated with beta1",
        "each beta has one role in Lion: check which one updates the momentum",
        lambda *a, **k: _lion_variant(*a, **k, momentum_beta="beta1"),
    ),
    Mistake(
        "decay applied after the step ((p - lr*sign) * (1 - lr*lambda))",
        "order of operations: check whether the decay shrinks the weights before or after the step",
        lambda *a, **k: _lion_variant(*a, **k, decay_mode="after"),
    ),
]

MISTAKES: dict[str, list[Mistake]] = {
    "gd_step": GD,
    "momentum_step": MOMENTUM,
    "rmsprop_step": RMSPROP,
    "adam_step": ADAM,
    "adamw_step": ADAMW,
    "lion_step": LION,
}


# --- added for notebooks 05-06: the corrected moments kept as the state ---------------------------
def _adam_returning_hats(p, g, m, v, t, lr, beta1, beta2, eps, weight_decay=0.0):
    """Adam (or AdamW) whose step is right but which returns m_hat, v_hat as the new m, v."""
    new_m = beta1 * m + (1 - beta1) * g
    new_v = beta2 * v + (1 - beta2) * g * g
    m_hat = new_m / (1 - beta1**t)
    v_hat = new_v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps) - lr * weight_decay * p, m_hat, v_hat


for _rule_mistakes in (ADAM, ADAMW):
    _rule_mistakes.append(
        Mistake(
            "the bias-corrected m_hat and v_hat returned as the new state",
            "return the running averages m and v themselves; m_hat and v_hat are only used "
            "for this step's update",
            _adam_returning_hats,
        )
    )
