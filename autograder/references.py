"""Reference NumPy implementations of every update rule the course grades.

The interface, stated once (every optimizer notebook, 01-07, uses it):

    new_params                 = gd_step(params, grad, lr)
    new_params, new_velocity   = momentum_step(params, grad, velocity, lr, beta)
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
