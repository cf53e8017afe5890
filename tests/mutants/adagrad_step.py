"""adagrad_step (04_rmsprop): sum_sq = sum_sq + g**2; p - lr*g/(sqrt(sum_sq)+eps)."""

from .corpus import Right, Wrong

EXERCISE = "adagrad_step"

WRONG = [
    Wrong(
        "eps inside the square root",
        """
        new_sum_sq = sum_sq + grad**2
        return params - lr * grad / np.sqrt(new_sum_sq + eps), new_sum_sq
        """,
        caught_by=("trajectory", "edge_cases"),
        mistake="eps inside the square root (sqrt(sum_sq + eps))",
    ),
    Wrong(
        "RMSprop's moving average instead of the sum",
        """
        new_sum_sq = 0.9 * sum_sq + 0.1 * grad**2
        return params - lr * grad / (np.sqrt(new_sum_sq) + eps), new_sum_sq
        """,
        caught_by=("values", "trajectory"),
        mistake="a moving average of squared gradients (RMSprop's cache) instead of the sum",
    ),
    Wrong(
        "forgets to square the gradient",
        """
        new_sum_sq = sum_sq + np.abs(grad)
        return params - lr * grad / (np.sqrt(new_sum_sq) + eps), new_sum_sq
        """,
        caught_by=("values", "trajectory"),
        mistake="the absolute gradient added to the accumulator instead of its square",
    ),
    Wrong(
        "the accumulator not carried between steps",
        """
        new_sum_sq = grad**2
        return params - lr * grad / (np.sqrt(new_sum_sq) + eps), new_sum_sq
        """,
        caught_by=("values", "trajectory"),
        mistake="the accumulator not carried between steps (only this step's squared gradient)",
    ),
    Wrong(
        "lr divided by the sum instead of its root",
        """
        new_sum_sq = sum_sq + grad**2
        return params - lr * grad / (new_sum_sq + eps), new_sum_sq
        """,
        caught_by=("values", "trajectory"),
        mistake="the step divided by the sum itself instead of its square root",
    ),
    Wrong(
        "divides by the old sum",
        """
        new_params = params - lr * grad / (np.sqrt(sum_sq) + eps)
        return new_params, sum_sq + grad**2
        """,
        caught_by=("values", "trajectory"),
        mistake="the step divided by the old sum (before this step's gradient is added)",
    ),
    Wrong(
        "updates the caller's sum in place",
        """
        sum_sq += grad**2
        return params - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq
        """,
        caught_by=("inputs_unchanged",),
    ),
    Wrong(
        "computes in float64 whatever the input",
        """
        g = grad.astype(float)
        new_sum_sq = sum_sq.astype(float) + g**2
        return params.astype(float) - lr * g / (np.sqrt(new_sum_sq) + eps), new_sum_sq
        """,
        caught_by=("shapes_dtypes",),
    ),
]

RIGHT = [
    Right(
        "PyTorch's in-place algebra on copies",
        """
        state_sum = sum_sq.copy()
        state_sum += grad * grad
        std = np.sqrt(state_sum)
        std += eps
        new_params = params.copy()
        new_params -= lr * grad / std
        return new_params, state_sum
        """,
    ),
    Right(
        "an element loop",
        """
        new_params, new_sum_sq = np.empty_like(params), np.empty_like(params)
        for i in np.ndindex(params.shape):
            new_sum_sq[i] = sum_sq[i] + grad[i] * grad[i]
            new_params[i] = params[i] - lr * grad[i] / (np.sqrt(new_sum_sq[i]) + eps)
        return new_params, new_sum_sq
        """,
    ),
    Right(
        "np.square and the effective learning rate",
        """
        new_sum_sq = np.add(sum_sq, np.square(grad))
        effective_lr = lr / (np.sqrt(new_sum_sq) + eps)
        return params - effective_lr * grad, new_sum_sq
        """,
    ),
]
