"""gd_step (01_gradient_descent): one gradient-descent step."""

from .corpus import Right, Wrong

EXERCISE = "gd_step"

WRONG = [
    Wrong(
        "gradient ascent",
        "return params + lr * grad",
        caught_by=("values", "trajectory", "edge"),
        mistake="gradient ascent (params + lr * grad)",
    ),
    Wrong(
        "learning rate left out",
        "return params - grad",
        caught_by=("values", "trajectory"),
        mistake="the learning rate left out (params - grad)",
    ),
    Wrong(
        "divides by the learning rate",
        "return params - grad / lr",
        caught_by=("values", "trajectory"),
        mistake="dividing by the learning rate (params - grad / lr)",
    ),
    Wrong(
        "updates the caller's array in place",
        """
        params -= lr * grad
        return params
        """,
        caught_by=("inputs_unchanged",),
    ),
    Wrong(
        "casts to float64",
        "return np.asarray(params, dtype=np.float64) - lr * np.asarray(grad, dtype=np.float64)",
        caught_by=("shapes_dtypes",),
    ),
    Wrong(
        "returns a Python list",
        "return [p - lr * g for p, g in zip(params, grad)]",
        caught_by=("values", "shapes_dtypes"),
    ),
    Wrong(
        "flattens the result",
        "return (params - lr * grad).ravel()",
        caught_by=("values", "shapes_dtypes"),
    ),
]

RIGHT = [
    Right(
        "in place on a copy",
        """
        new_params = params.copy()
        new_params -= lr * grad
        return new_params
        """,
    ),
    Right(
        "an element loop",
        """
        new_params = np.empty_like(params)
        for index in np.ndindex(params.shape):
            new_params[index] = params[index] - lr * grad[index]
        return new_params
        """,
    ),
    Right(
        "np.subtract with lr in the parameters' dtype",
        "return np.subtract(params, np.asarray(lr, dtype=params.dtype) * grad)",
    ),
]
