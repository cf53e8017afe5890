"""adam_step (05_adam): Adam with bias correction, t starting at 1."""

from .corpus import Right, Wrong

EXERCISE = "adam_step"

WRONG = [
    Wrong(
        "Adam without bias correction",
        """
        new_m = beta1 * m + (1 - beta1) * grad
        new_v = beta2 * v + (1 - beta2) * grad**2
        return params - lr * new_m / (np.sqrt(new_v) + eps), new_m, new_v
        """,
        caught_by=("values", "trajectory"),
        mistake="Adam without bias correction",
    ),
    Wrong(
        "bias correction with t starting at 0",
        """
        new_m = beta1 * m + (1 - beta1) * grad
        new_v = beta2 * v + (1 - beta2) * grad**2
        m_hat = new_m / (1 - beta1 ** (t + 1))
        v_hat = new_v / (1 - beta2 ** (t + 1))
        return params - lr * m_hat / (np.sqrt(v_hat) + eps), new_m, new_v
        """,
        caught_by=("values", "trajectory"),
        mistake="bias correction with t counted from 0 (1 - beta**(t+1))",
    ),
    Wrong(
        "eps inside the square root",
        """
        new_m = beta1 * m + (1 - beta1) * grad
        new_v = beta2 * v + (1 - beta2) * grad**2
        m_hat = new_m / (1 - beta1**t)
        v_hat = new_v / (1 - beta2**t)
        return params - lr * m_hat / np.sqrt(v_hat + eps), new_m, new_v
        """,
        caught_by=("trajectory",),
        mistake="eps inside the square root (sqrt(v_hat + eps))",
    ),
    Wrong(
        "beta1 and beta2 swapped",
        """
        new_m = beta2 * m + (1 - beta2) * grad
        new_v = beta1 * v + (1 - beta1) * grad**2
        m_hat = new_m / (1 - beta2**t)
        v_hat = new_v / (1 - beta1**t)
        return params - lr * m_hat / (np.sqrt(v_hat) + eps), new_m, new_v
        """,
        caught_by=("values", "trajectory"),
        mistake="beta1 and beta2 swapped",
    ),
    Wrong(
        "bias correction on m only",
        """
        new_m = beta1 * m + (1 - beta1) * grad
        new_v = beta2 * v + (1 - beta2) * grad**2
        m_hat = new_m / (1 - beta1**t)
        return params - lr * m_hat / (np.sqrt(new_v) + eps), new_m, new_v
        """,
        caught_by=("values", "trajectory"),
        mistake="bias correction on m only",
    ),
    Wrong(
        "returns the corrected moments as the new state",
        """
        m_hat = (beta1 * m + (1 - beta1) * grad) / (1 - beta1**t)
        v_hat = (beta2 * v + (1 - beta2) * grad**2) / (1 - beta2**t)
        return params - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat
        """,
        caught_by=("values", "trajectory"),
    ),
    Wrong(
        "updates the caller's m and v in place",
        """
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return params - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
        """,
        caught_by=("inputs_unchanged",),
    ),
    Wrong(
        "the paper's 'efficient' form, which rescales eps",
        """
        new_m = beta1 * m + (1 - beta1) * grad
        new_v = beta2 * v + (1 - beta2) * grad**2
        step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
        return params - step * new_m / (np.sqrt(new_v) + eps), new_m, new_v
        """,
        caught_by=("edge_cases",),
    ),
]

RIGHT = [
    Right(
        "PyTorch's algebra: step size lr/bc1, denominator sqrt(v)/sqrt(bc2) + eps",
        """
        exp_avg = m.copy()
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq = v.copy()
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        denom = np.sqrt(exp_avg_sq) / bias_correction2**0.5 + eps
        return params - (lr / bias_correction1) * exp_avg / denom, exp_avg, exp_avg_sq
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
            new_params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
        return new_params, new_m, new_v
        """,
    ),
    Right(
        "constants in the parameters' dtype",
        """
        f = params.dtype.type
        new_m = f(beta1) * m + (f(1) - f(beta1)) * grad
        new_v = f(beta2) * v + (f(1) - f(beta2)) * np.square(grad)
        m_hat = new_m / (f(1) - f(beta1) ** t)
        v_hat = new_v / (f(1) - f(beta2) ** t)
        return params - f(lr) * m_hat / (np.sqrt(v_hat) + f(eps)), new_m, new_v
        """,
    ),
]
