"""adamw_step (06_adamw): Adam's step minus lr * weight_decay * (old) params, written from the
rule in words (the notebook gives no formula for the decay)."""

from .corpus import Right, Wrong

EXERCISE = "adamw_step"

_ADAM = """
new_m = beta1 * m + (1 - beta1) * grad
new_v = beta2 * v + (1 - beta2) * grad**2
m_hat = new_m / (1 - beta1**t)
v_hat = new_v / (1 - beta2**t)
"""

WRONG = [
    Wrong(
        "AdamW with L2 added to the gradient",
        """
        g = grad + weight_decay * params
        new_m = beta1 * m + (1 - beta1) * g
        new_v = beta2 * v + (1 - beta2) * g**2
        m_hat = new_m / (1 - beta1**t)
        v_hat = new_v / (1 - beta2**t)
        return params - lr * m_hat / (np.sqrt(v_hat) + eps), new_m, new_v
        """,
        caught_by=("values", "trajectory"),
        mistake="Adam + L2 (lambda * params added to the gradient)",
    ),
    Wrong(
        "decay not scaled by the learning rate",
        _ADAM + "return params - lr * m_hat / (np.sqrt(v_hat) + eps) - weight_decay * params, "
        "new_m, new_v",
        caught_by=("values", "trajectory"),
        mistake="weight decay not scaled by the learning rate",
    ),
    Wrong(
        "decays the updated parameter",
        _ADAM + "return (params - lr * m_hat / (np.sqrt(v_hat) + eps)) * (1 - lr * weight_decay), "
        "new_m, new_v",
        caught_by=("trajectory",),
        mistake="decay applied to the updated parameter (after Adam's step)",
    ),
    Wrong(
        "decay with the wrong sign",
        _ADAM + "return params - lr * m_hat / (np.sqrt(v_hat) + eps) + lr * weight_decay * params, "
        "new_m, new_v",
        caught_by=("values", "trajectory"),
        mistake="weight decay with the wrong sign (the weights grow)",
    ),
    Wrong(
        "the decay divided by Adam's denominator, like the gradient step",
        _ADAM + "return params - lr * (m_hat + weight_decay * params) / (np.sqrt(v_hat) + eps), "
        "new_m, new_v",
        caught_by=("values", "trajectory"),
        mistake="decay divided by Adam's denominator (sqrt(v_hat) + eps)",
    ),
    Wrong(
        "the decay as a fraction lambda of the updated weight, in place on a copy",
        """
        new_m = beta1 * m + (1 - beta1) * grad
        new_v = beta2 * v + (1 - beta2) * grad**2
        m_hat = new_m / (1 - beta1**t)
        v_hat = new_v / (1 - beta2**t)
        new_params = params - lr * m_hat / (np.sqrt(v_hat) + eps)
        new_params *= 1 - weight_decay
        return new_params, new_m, new_v
        """,
        caught_by=("values", "trajectory"),
    ),
    Wrong(
        "no weight decay (plain Adam)",
        _ADAM + "return params - lr * m_hat / (np.sqrt(v_hat) + eps), new_m, new_v",
        caught_by=("values", "trajectory"),
        mistake="no weight decay at all (plain Adam)",
    ),
    Wrong(
        "AdamW without bias correction",
        """
        new_m = beta1 * m + (1 - beta1) * grad
        new_v = beta2 * v + (1 - beta2) * grad**2
        step = lr * new_m / (np.sqrt(new_v) + eps)
        return params - step - lr * weight_decay * params, new_m, new_v
        """,
        caught_by=("values", "trajectory"),
        mistake="AdamW without bias correction",
    ),
    Wrong(
        "decays the caller's params in place first",
        """
        params *= 1 - lr * weight_decay
        new_m = beta1 * m + (1 - beta1) * grad
        new_v = beta2 * v + (1 - beta2) * grad**2
        m_hat = new_m / (1 - beta1**t)
        v_hat = new_v / (1 - beta2**t)
        return params - lr * m_hat / (np.sqrt(v_hat) + eps), new_m, new_v
        """,
        caught_by=("inputs_unchanged",),
    ),
]

RIGHT = [
    Right(
        "PyTorch's order: decay in place on a copy, then Adam's step",
        """
        p = params.copy()
        p *= 1 - lr * weight_decay
        exp_avg = beta1 * m + (1 - beta1) * grad
        exp_avg_sq = beta2 * v + (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        denom = np.sqrt(exp_avg_sq) / bias_correction2**0.5 + eps
        p -= (lr / bias_correction1) * exp_avg / denom
        return p, exp_avg, exp_avg_sq
        """,
    ),
    Right(
        "an element loop",
        """
        new_params = np.empty_like(params)
        new_m, new_v = np.empty_like(params), np.empty_like(params)
        for i in np.ndindex(params.shape):
            new_m[i] = beta1 * m[i] + (1 - beta1) * grad[i]
            new_v[i] = beta2 * v[i] + (1 - beta2) * grad[i] ** 2
            m_hat = new_m[i] / (1 - beta1**t)
            v_hat = new_v[i] / (1 - beta2**t)
            step = m_hat / (np.sqrt(v_hat) + eps)
            new_params[i] = params[i] - lr * (step + weight_decay * params[i])
        return new_params, new_m, new_v
        """,
    ),
]
