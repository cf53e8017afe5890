"""Reference NumPy implementations of every update rule the course grades.

The interface, stated once (every optimizer notebook, 01-07, uses it):

    new_params                 = gd_step(params, grad, lr)
    new_params, new_velocity   = momentum_step(params, grad, velocity, lr, beta)
    new_params, new_velocity   = nesterov_step(params, grad, velocity, lr, beta)
    new_params, new_sum_sq     = adagrad_step(params, grad, sum_sq, lr, eps)
    new_params, new_cache      = rmsprop_step(params, grad, cache, lr, beta, eps)
    new_params, new_m, new_v   = adam_step(params, grad, m, v, t, lr, beta1, beta2, eps)
    new_params, new_m, new_v   = adamw_step(params, grad, m, v, t, lr, beta1, beta2, eps,
                                            weight_decay)
    new_params, new_m          = lion_step(params, grad, m, lr, beta1, beta2, weight_decay)

Conventions students could get wrong, written down plainly:
- Pure functions: they return new arrays and never modify their inputs. State arrays
  (velocity, cache, m, v) start as zeros with the shape of params.
- Any shape, float32 or float64; the result has the dtype of params.
- Momentum is the seed's form ``v = beta*v + g`` (not the EMA ``beta*v + (1-beta)*g``).
- eps is added *outside* the square root: ``sqrt(cache) + eps``.
- Adam's step counter ``t`` is the number of this update: 1 on the first call, so the
  caller increments t *before* calling. ``t = 0`` would divide by ``1 - beta**0 = 0``.
- AdamW decays the *old* parameter, scaled by the learning rate: ``- lr*lambda*params``.
- Lion takes the sign *before* updating its momentum, and updates the momentum with beta2.
  ``sign(0) = 0``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.floating]


def _as_float_array(x: ArrayLike) -> Array:
    """A float array view of x (no copy when x already is one); ints become float64."""
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def _like(x: ArrayLike, params: Array) -> Array:
    return np.asarray(x).astype(params.dtype, copy=False)


def gd_step(params: ArrayLike, grad: ArrayLike, lr: float) -> Array:
    """One step of gradient descent: params - lr * grad."""
    p = _as_float_array(params)
    g = _like(grad, p)
    return (p - p.dtype.type(lr) * g).astype(p.dtype, copy=False)


def momentum_step(
    params: ArrayLike, grad: ArrayLike, velocity: ArrayLike, lr: float, beta: float
) -> tuple[Array, Array]:
    """SGD with momentum: v = beta*v + g; p = p - lr*v."""
    p = _as_float_array(params)
    g, v = _like(grad, p), _like(velocity, p)
    new_v = p.dtype.type(beta) * v + g
    return p - p.dtype.type(lr) * new_v, new_v


def nesterov_step(
    params: ArrayLike, grad: ArrayLike, velocity: ArrayLike, lr: float, beta: float
) -> tuple[Array, Array]:
    """Nesterov momentum as torch.optim.SGD(nesterov=True, dampening=0) computes it.

    v = beta*v + g, as in momentum_step; the step looks ahead along the new velocity:
    p = p - lr*(g + beta*v).
    """
    p = _as_float_array(params)
    g, v = _like(grad, p), _like(velocity, p)
    f = p.dtype.type
    new_v = f(beta) * v + g
    return p - f(lr) * (g + f(beta) * new_v), new_v


def rmsprop_step(
    params: ArrayLike,
    grad: ArrayLike,
    cache: ArrayLike,
    lr: float,
    beta: float = 0.9,
    eps: float = 1e-8,
) -> tuple[Array, Array]:
    """RMSprop: cache = beta*cache + (1-beta)*g**2; p = p - lr*g/(sqrt(cache)+eps)."""
    p = _as_float_array(params)
    g, c = _like(grad, p), _like(cache, p)
    f = p.dtype.type
    new_cache = f(beta) * c + (f(1) - f(beta)) * g * g
    return p - f(lr) * g / (np.sqrt(new_cache) + f(eps)), new_cache


def adagrad_step(
    params: ArrayLike, grad: ArrayLike, sum_sq: ArrayLike, lr: float, eps: float = 1e-8
) -> tuple[Array, Array]:
    """Adagrad: sum_sq = sum_sq + g**2; p = p - lr*g/(sqrt(sum_sq)+eps).

    torch.optim.Adagrad with lr_decay=0, weight_decay=0, initial_accumulator_value=0 (its
    defaults) computes the same, eps outside the root too; only its default eps (1e-10) differs.
    """
    p = _as_float_array(params)
    g, s = _like(grad, p), _like(sum_sq, p)
    new_sum = s + g * g
    return p - p.dtype.type(lr) * g / (np.sqrt(new_sum) + p.dtype.type(eps)), new_sum


def _adam_direction(
    g: Array, m: Array, v: Array, t: int, beta1: float, beta2: float, eps: float
) -> tuple[Array, Array, Array]:
    """Adam's new moments and the bias-corrected direction m_hat / (sqrt(v_hat) + eps)."""
    if int(t) < 1:
        raise ValueError(
            f"Adam's step counter t starts at 1 (got t={t}): increment t before the step"
        )
    f = g.dtype.type
    new_m = f(beta1) * m + (f(1) - f(beta1)) * g
    new_v = f(beta2) * v + (f(1) - f(beta2)) * g * g
    m_hat = new_m / (f(1) - f(beta1) ** int(t))
    v_hat = new_v / (f(1) - f(beta2) ** int(t))
    return new_m, new_v, m_hat / (np.sqrt(v_hat) + f(eps))


def adam_step(
    params: ArrayLike,
    grad: ArrayLike,
    m: ArrayLike,
    v: ArrayLike,
    t: int,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[Array, Array, Array]:
    """Adam with bias correction; t is this step's number, starting at 1."""
    p = _as_float_array(params)
    new_m, new_v, direction = _adam_direction(
        _like(grad, p), _like(m, p), _like(v, p), t, beta1, beta2, eps
    )
    return p - p.dtype.type(lr) * direction, new_m, new_v


def adamw_step(
    params: ArrayLike,
    grad: ArrayLike,
    m: ArrayLike,
    v: ArrayLike,
    t: int,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.01,
) -> tuple[Array, Array, Array]:
    """AdamW: Adam's step minus lr*weight_decay*params, using params from before the step."""
    p = _as_float_array(params)
    new_m, new_v, direction = _adam_direction(
        _like(grad, p), _like(m, p), _like(v, p), t, beta1, beta2, eps
    )
    f = p.dtype.type
    return p - f(lr) * direction - f(lr) * f(weight_decay) * p, new_m, new_v


def lion_step(
    params: ArrayLike,
    grad: ArrayLike,
    m: ArrayLike,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.99,
    weight_decay: float = 0.0,
) -> tuple[Array, Array]:
    """Lion: sign of the beta1-interpolation, decoupled decay, then momentum with beta2."""
    p = _as_float_array(params)
    g, mom = _like(grad, p), _like(m, p)
    f = p.dtype.type
    direction = np.sign(f(beta1) * mom + (f(1) - f(beta1)) * g)
    new_p = p * (f(1) - f(lr) * f(weight_decay)) - f(lr) * direction
    new_m = f(beta2) * mom + (f(1) - f(beta2)) * g
    return new_p, new_m


# --- Notebook 12 (beyond the source): Adafactor's factored second moment, Muon's Newton-Schulz ---
# Written from torch 2.13's torch/optim/_adafactor.py and _muon.py (what they compute, not how);
# tests/test_beyond.py checks both against torch.optim over trajectories.

MUON_COEFFICIENTS: tuple[float, float, float] = (3.4445, -4.7750, 2.0315)  # torch's (a, b, c)


def adafactor_second_moment(
    row_var: ArrayLike,
    col_var: ArrayLike,
    grad: ArrayLike,
    step: int,
    beta2_decay: float = -0.8,
    eps1: float | None = None,
) -> tuple[Array, Array, Array]:
    """Adafactor's factored estimate of E[g^2] for one matrix: (new_row_var, new_col_var, v_hat).

    row_var (m,) and col_var (n,) are running means of g^2 over each row and each column; the
    new statistic gets the weight step**beta2_decay (1 on step 1, so no bias correction is
    needed). v_hat = outer(row_var, col_var) / max(mean(row_var), eps1), eps1 defaulting to the
    dtype's machine epsilon as in torch.optim.Adafactor.
    """
    g = _as_float_array(grad)
    if g.ndim != 2:
        raise ValueError(f"grad must be a matrix, got shape {g.shape}")
    f = g.dtype.type
    weight = f(float(step) ** beta2_decay)
    floor = np.finfo(g.dtype).eps if eps1 is None else eps1
    squared = g * g
    new_row = _like(row_var, g) + weight * (squared.mean(axis=1) - _like(row_var, g))
    new_col = _like(col_var, g) + weight * (squared.mean(axis=0) - _like(col_var, g))
    v_hat = np.outer(new_row, new_col) / max(new_row.mean(), f(floor))
    return new_row, new_col, v_hat


def newton_schulz(
    update: ArrayLike,
    steps: int = 5,
    coefficients: tuple[float, float, float] = MUON_COEFFICIENTS,
    eps: float = 1e-7,
) -> Array:
    """Muon's orthogonalization: push every singular value of a matrix towards 1.

    Divide by the Frobenius norm (so every singular value is at most 1), then apply ``steps``
    times X <- a X + (b A + c A A) X with A = X X^T. A tall matrix is transposed first so that
    A is the smaller Gram matrix, and transposed back at the end. torch.optim.Muon runs the
    same iteration in bfloat16; this reference runs in the input's float dtype.
    """
    x = _as_float_array(update)
    if x.ndim != 2:
        raise ValueError(f"Newton-Schulz needs a matrix, got shape {x.shape}")
    a, b, c = coefficients
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    x = x / max(np.linalg.norm(x), eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def muon_step(
    params: ArrayLike,
    grad: ArrayLike,
    momentum_buffer: ArrayLike,
    lr: float,
    momentum: float = 0.95,
    weight_decay: float = 0.1,
    nesterov: bool = True,
    orthogonalize: Callable[[Array], Array] = newton_schulz,
) -> tuple[Array, Array]:
    """One torch.optim.Muon step on a matrix (adjust_lr_fn=None): (new_params, new_buffer).

    The buffer is an exponential average, B = mu B + (1 - mu) g; Nesterov orthogonalizes
    (1 - mu) g + mu B. The step is lr * sqrt(max(1, rows / cols)); the decay uses the plain lr.
    """
    p = _as_float_array(params)
    g, buf = _like(grad, p), _like(momentum_buffer, p)
    new_buf = momentum * buf + (1 - momentum) * g
    direction = (1 - momentum) * g + momentum * new_buf if nesterov else new_buf
    scale = lr * max(1.0, p.shape[0] / p.shape[1]) ** 0.5
    new_p = p * (1 - lr * weight_decay) - scale * orthogonalize(direction)
    return new_p.astype(p.dtype, copy=False), new_buf


# --- Notebook 10: learning-rate schedules, clipping by global norm, the range test ---------------
# A schedule is a function of the 0-based step index: step 0 is the rate of the first update, the
# rate torch.optim.lr_scheduler gives before its first scheduler.step(). The arguments map one to
# one onto torch's (tests/test_schedules.py checks the match over long runs).
CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_ divides by total_norm + 1e-6


def step_decay_lr(step: int, lr: float, step_size: int, gamma: float) -> float:
    """StepLR(step_size, gamma): lr times gamma once every step_size steps."""
    return float(lr * gamma ** (step // step_size))


def cosine_lr(step: int, lr: float, total_steps: int, lr_min: float = 0.0) -> float:
    """CosineAnnealingLR(T_max=total_steps, eta_min=lr_min): lr at step 0, lr_min at total_steps."""
    return float(lr_min + (lr - lr_min) * (1.0 + np.cos(np.pi * step / total_steps)) / 2.0)


def warmup_cosine_lr(
    step: int,
    lr: float,
    warmup_steps: int,
    total_steps: int,
    lr_min: float = 0.0,
    start_factor: float = 0.1,
) -> float:
    """SequentialLR(LinearLR(start_factor, 1, warmup_steps), CosineAnnealingLR(total - warmup)).

    The warmup climbs linearly from start_factor * lr (step 0) to lr (step warmup_steps), where
    the cosine takes over and reaches lr_min at step total_steps.
    """
    if step < warmup_steps:
        return float(lr * (start_factor + (1.0 - start_factor) * step / warmup_steps))
    return cosine_lr(step - warmup_steps, lr, total_steps - warmup_steps, lr_min)


def one_cycle_lr(
    step: int,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> float:
    """OneCycleLR(max_lr, total_steps, pct_start, 'cos', div_factor, final_div_factor), two phases.

    A cosine climb from max_lr / div_factor at step 0 to max_lr at step pct_start * total_steps - 1
    (torch's phase boundary, not always a whole number), then a cosine descent to
    max_lr / div_factor / final_div_factor at step total_steps - 1.
    """
    initial = max_lr / div_factor
    final = initial / final_div_factor
    peak = pct_start * total_steps - 1.0
    if step <= peak:
        start, end, fraction = initial, max_lr, step / peak
    else:
        start, end, fraction = max_lr, final, (step - peak) / (total_steps - 1.0 - peak)
    return float(end + (start - end) * (1.0 + np.cos(np.pi * fraction)) / 2.0)


def clip_by_global_norm(grads: list[ArrayLike], max_norm: float) -> tuple[list[Array], float]:
    """clip_grad_norm_: scale every gradient by min(1, max_norm / (total_norm + 1e-6)).

    total_norm is the 2-norm of all gradients together (as if flattened into one vector).
    Returns (new gradients, total_norm before clipping); the inputs are left unchanged.
    """
    arrays = [_as_float_array(g) for g in grads]
    total = float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in arrays)))
    scale = min(1.0, max_norm / (total + CLIP_EPS))
    return [(g * scale).astype(g.dtype, copy=False) for g in arrays], total


def lr_range_test(
    grad_fn: Callable[[Array], Array],
    loss_fn: Callable[[Array], float],
    x0: ArrayLike,
    lr_start: float,
    lr_end: float,
    num_steps: int,
) -> tuple[Array, Array, float]:
    """The learning-rate range test with plain gradient steps: (lrs, losses, suggested_lr).

    lrs grow geometrically from lr_start (step 0) to lr_end (step num_steps - 1); losses[k] is
    the loss after the step taken with lrs[k]; the suggestion is a tenth of the rate at the
    lowest loss.
    """
    lrs = lr_start * (lr_end / lr_start) ** (np.arange(num_steps) / (num_steps - 1))
    x = np.array(x0, dtype=float)
    losses = np.empty(num_steps)
    with np.errstate(over="ignore", invalid="ignore"):
        for k, rate in enumerate(lrs):
            x = x - rate * grad_fn(x)
            losses[k] = loss_fn(x)
    return lrs, losses, float(lrs[np.nanargmin(losses)] / 10.0)
