"""lion_step (07_lion): sign of the beta1 blend, decoupled decay, then momentum with beta2."""

from .corpus import Right, Wrong

EXERCISE = "lion_step"

WRONG = [
    Wrong(
        "Lion with beta1 and beta2 swapped",
        """
        direction = np.sign(beta2 * m + (1 - beta2) * grad)
        new_params = params * (1 - lr * weight_decay) - lr * direction
        return new_params, beta1 * m + (1 - beta1) * grad
        """,
        caught_by=("values", "trajectory"),
        mistake="beta1 and beta2 swapped",
    ),
    Wrong(
        "momentum updated before the sign",
        """
        new_m = beta2 * m + (1 - beta2) * grad
        direction = np.sign(beta1 * new_m + (1 - beta1) * grad)
        return params * (1 - lr * weight_decay) - lr * direction, new_m
        """,
        caught_by=("values", "trajectory"),
        mistake="the momentum updated before taking the sign",
    ),
    Wrong(
        "sign of the raw gradient",
        """
        new_params = params * (1 - lr * weight_decay) - lr * np.sign(grad)
        return new_params, beta2 * m + (1 - beta2) * grad
        """,
        caught_by=("values", "trajectory"),
        mistake="the sign of the raw gradient (no interpolation with m)",
    ),
    Wrong(
        "no sign()",
        """
        direction = beta1 * m + (1 - beta1) * grad
        new_params = params * (1 - lr * weight_decay) - lr * direction
        return new_params, beta2 * m + (1 - beta2) * grad
        """,
        caught_by=("values", "trajectory"),
        mistake="no sign() (the interpolation used as the step)",
    ),
    Wrong(
        "decay not scaled by lr",
        """
        direction = np.sign(beta1 * m + (1 - beta1) * grad)
        new_params = params * (1 - weight_decay) - lr * direction
        return new_params, beta2 * m + (1 - beta2) * grad
        """,
        caught_by=("values", "trajectory"),
        mistake="weight decay not scaled by the learning rate (params * (1 - lambda))",
    ),
    Wrong(
        "sign(0) taken as +1",
        """
        blend = beta1 * m + (1 - beta1) * grad
        direction = np.where(blend >= 0, 1.0, -1.0).astype(params.dtype)
        new_params = params * (1 - lr * weight_decay) - lr * direction
        return new_params, beta2 * m + (1 - beta2) * grad
        """,
        caught_by=("values", "edge_cases"),
    ),
    Wrong(
        "updates the caller's m in place",
        """
        direction = np.sign(beta1 * m + (1 - beta1) * grad)
        m *= beta2
        m += (1 - beta2) * grad
        return params * (1 - lr * weight_decay) - lr * direction, m
        """,
        caught_by=("inputs_unchanged",),
    ),
]

RIGHT = [
    Right(
        "lion-pytorch's in-place order on copies",
        """
        p = params.copy()
        p *= 1 - lr * weight_decay
        exp_avg = m.copy()
        update = exp_avg * beta1 + grad * (1 - beta1)
        p += np.sign(update) * -lr
        exp_avg *= beta2
        exp_avg += (1 - beta2) * grad
        return p, exp_avg
        """,
    ),
    Right(
        "an element loop with an explicit sign",
        """
        new_params, new_m = np.empty_like(params), np.empty_like(params)
        for i in np.ndindex(params.shape):
            blend = beta1 * m[i] + (1 - beta1) * grad[i]
            direction = 1.0 if blend > 0 else (-1.0 if blend < 0 else 0.0)
            new_params[i] = params[i] * (1 - lr * weight_decay) - lr * direction
            new_m[i] = beta2 * m[i] + (1 - beta2) * grad[i]
        return new_params, new_m
        """,
    ),
]
