"""steady_effective_lr (04_rmsprop): RMSprop's effective lr once the cache cycles under g1, g2."""

from .corpus import Right, Wrong

EXERCISE = "steady_effective_lr"

WRONG = [
    Wrong(
        "the first step's value",
        "return lr / (np.sqrt(1 - beta) * abs(g1) + eps), lr / (np.sqrt(1 - beta) * abs(g2) + eps)",
        caught_by=("values", "cases"),
        mistake="the first step's value (a cache of (1 - beta) * g**2) instead of the steady state",
    ),
    Wrong(
        "only the latest gradient",
        "return lr / (abs(g1) + eps), lr / (abs(g2) + eps)",
        caught_by=("values", "cases"),
        mistake="only the latest gradient counted (a cache of g**2)",
    ),
    Wrong(
        "opposite signs cancel in the cache",
        """
        mean = (g1 + g2) / 2
        return lr / (abs(mean) + eps), lr / (abs(mean) + eps)
        """,
        caught_by=("values", "cases"),
        mistake="the gradients averaged before squaring (opposite signs cancel)",
    ),
    Wrong(
        "one update instead of the cycle",
        """
        cache_1 = beta * g2**2 + (1 - beta) * g1**2
        cache_2 = beta * g1**2 + (1 - beta) * g2**2
        return lr / (np.sqrt(cache_1) + eps), lr / (np.sqrt(cache_2) + eps)
        """,
        caught_by=("values",),
        mistake="one cache update from the other gradient's square instead of the steady cycle",
    ),
    Wrong(
        "a simulation too short to settle",
        """
        cache = 0.0
        for k in range(40):
            cache = beta * cache + (1 - beta) * (g1 if k % 2 == 0 else g2) ** 2
            if k % 2 == 0:
                after_g1 = lr / (np.sqrt(cache) + eps)
        return after_g1, lr / (np.sqrt(cache) + eps)
        """,
        caught_by=("values", "cases"),
    ),
]

RIGHT = [
    Right(
        "a long simulation with plain floats",
        """
        cache = 0.0
        for k in range(20000):
            cache = beta * cache + (1 - beta) * (g1 if k % 2 == 0 else g2) ** 2
            if k % 2 == 0:
                after_g1 = lr / (cache**0.5 + eps)
        return after_g1, lr / (cache**0.5 + eps)
        """,
    ),
    Right(
        "solve for one cache, then one update for the other",
        """
        cache_1 = (g1 * g1 + beta * g2 * g2) / (1 + beta)
        cache_2 = beta * cache_1 + (1 - beta) * g2 * g2
        return float(lr / (np.sqrt(cache_1) + eps)), float(lr / (np.sqrt(cache_2) + eps))
        """,
    ),
]
