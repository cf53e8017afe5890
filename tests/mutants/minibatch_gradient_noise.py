"""minibatch_gradient_noise (02_minibatch_sgd): sigma^2 / B * (N - B) / (N - 1)."""

from .corpus import Right, Wrong

EXERCISE = "minibatch_gradient_noise"

WRONG = [
    Wrong(
        "with replacement: no finite-population factor",
        """
        grads = np.asarray(per_example_grads, dtype=float)
        return float(np.sum((grads - grads.mean(axis=0)) ** 2) / len(grads) / batch_size)
        """,
        caught_by=("values", "edge_cases"),
        mistake="the noise of a batch drawn with replacement (sigma^2 / B)",
    ),
    Wrong(
        "(N - B) / N",
        """
        n = len(per_example_grads)
        spread = np.sum(np.var(per_example_grads, axis=0))
        return float(spread / batch_size * (1 - batch_size / n))
        """,
        caught_by=("values", "edge_cases"),
        mistake="the factor (N - B) / N",
    ),
    Wrong(
        "spread around zero",
        """
        n = len(per_example_grads)
        spread = np.mean(np.sum(per_example_grads**2, axis=1))
        return float(spread / batch_size * (n - batch_size) / (n - 1))
        """,
        caught_by=("values", "edge_cases"),
        mistake="the spread measured around zero instead of around the full gradient",
    ),
    Wrong(
        "the typical error (a square root)",
        """
        n = len(per_example_grads)
        spread = np.sum(np.var(per_example_grads, axis=0))
        return float(np.sqrt(spread / batch_size * (n - batch_size) / (n - 1)))
        """,
        caught_by=("values", "edge_cases"),
        mistake="the root of the expected squared error",
    ),
    Wrong(
        "np.var over the whole array (coordinates averaged)",
        """
        n = len(per_example_grads)
        spread = np.mean(np.var(per_example_grads, axis=0))
        return float(spread / batch_size * (n - batch_size) / (n - 1))
        """,
        caught_by=("values",),
        mistake="the variance averaged over the coordinates instead of summed",
    ),
    Wrong(
        "a Monte Carlo estimate from 200 random batches",
        """
        rng = np.random.default_rng(0)
        grads = np.asarray(per_example_grads, dtype=float)
        full = grads.mean(axis=0)
        errors = [np.sum((grads[rng.permutation(len(grads))[:batch_size]].mean(axis=0) - full) ** 2)
                  for _ in range(200)]
        return float(np.mean(errors))
        """,
        caught_by=("values", "edge_cases"),
    ),
]

RIGHT = [
    Right(
        "sample variance times (1 - B/N)",
        """
        grads = np.asarray(per_example_grads, dtype=np.float64)
        n = grads.shape[0]
        sample_variance = np.sum(np.var(grads, axis=0, ddof=1))
        return float(sample_variance / batch_size * (1.0 - batch_size / n))
        """,
    ),
    Right(
        "the trace of the covariance matrix",
        """
        grads = np.asarray(per_example_grads, dtype=np.float64).reshape(len(per_example_grads), -1)
        n = len(grads)
        spread = np.trace(np.atleast_2d(np.cov(grads, rowvar=False, bias=True)))
        return float(spread * (n - batch_size) / (batch_size * (n - 1)))
        """,
    ),
]
