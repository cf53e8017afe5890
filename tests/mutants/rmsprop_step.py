"""rmsprop_step (04_rmsprop): cache = beta*cache + (1-beta)*g**2; p - lr*g/(sqrt(cache)+eps)."""

from .corpus import Right, Wrong

EXERCISE = "rmsprop_step"

WRONG = [
    Wrong(
        "RMSprop without the (1 - beta)",
        """
        new_cache = beta * cache + grad**2
        return params - lr * grad / (np.sqrt(new_cache) + eps), new_cache
        """,
        caught_by=("values", "trajectory"),
        mistake="RMSprop without the (1 - beta) factor (cache = beta*cache + g**2)",
    ),
    Wrong(
        "eps inside the square root",
        """
        new_cache = beta * cache + (1 - beta) * grad**2
        return params - lr * grad / np.sqrt(new_cache + eps), new_cache
        """,
        caught_by=("trajectory",),
        mistake="eps inside the square root (sqrt(cache + eps))",
    ),
    Wrong(
        "no square root",
        """
        new_cache = beta * cache + (1 - beta) * grad**2
        return params - lr * grad / (new_cache + eps), new_cache
        """,
        caught_by=("values", "trajectory"),
        mistake="the square root left out (g / (cache + eps))",
    ),
    Wrong(
        "divides by the old cache",
        """
        new_params = params - lr * grad / (np.sqrt(cache) + eps)
        return new_params, beta * cache + (1 - beta) * grad**2
        """,
        caught_by=("values", "trajectory"),
        mistake="the step divided by the old cache",
    ),
    Wrong(
        "beta and (1 - beta) swapped",
        """
        new_cache = (1 - beta) * cache + beta * grad**2
        return params - lr * grad / (np.sqrt(new_cache) + eps), new_cache
        """,
        caught_by=("values", "trajectory"),
        mistake="beta and (1 - beta) swapped in the cache",
    ),
    Wrong(
        "updates the caller's cache in place",
        """
        cache *= beta
        cache += (1 - beta) * grad**2
        return params - lr * grad / (np.sqrt(cache) + eps), cache
        """,
        caught_by=("inputs_unchanged",),
    ),
    Wrong(
        "computes in float64 whatever the input",
        """
        g = grad.astype(float)
        new_cache = beta * cache.astype(float) + (1 - beta) * g**2
        return params.astype(float) - lr * g / (np.sqrt(new_cache) + eps), new_cache
        """,
        caught_by=("shapes_dtypes",),
    ),
]

RIGHT = [
    Right(
        "PyTorch's in-place algebra on copies",
        """
        square_avg = cache.copy()
        square_avg *= beta
        square_avg += (1 - beta) * grad * grad
        avg = np.sqrt(square_avg)
        avg += eps
        new_params = params.copy()
        new_params -= lr * grad / avg
        return new_params, square_avg
        """,
    ),
    Right(
        "an element loop",
        """
        new_params, new_cache = np.empty_like(params), np.empty_like(params)
        for i in np.ndindex(params.shape):
            new_cache[i] = beta * cache[i] + (1 - beta) * grad[i] * grad[i]
            new_params[i] = params[i] - lr * grad[i] / (np.sqrt(new_cache[i]) + eps)
        return new_params, new_cache
        """,
    ),
    Right(
        "np.square and a multiplied reciprocal",
        """
        new_cache = beta * cache + (1 - beta) * np.square(grad)
        scale = 1 / (np.sqrt(new_cache) + eps)
        return params - lr * (grad * scale), new_cache
        """,
    ),
]
