"""momentum_max_stable_lr (03_momentum): 2 * (1 + beta) / curvature."""

from .corpus import Right, Wrong

EXERCISE = "momentum_max_stable_lr"

WRONG = [
    Wrong(
        "plain GD's limit",
        "return 2.0 / curvature",
        caught_by=("values",),
        mistake="plain GD's limit 2 / curvature (beta left out)",
    ),
    Wrong(
        "the effective step must stay below GD's limit",
        "return 2.0 * (1.0 - beta) / curvature",
        caught_by=("values",),
        mistake="the effective-step argument, 2 * (1 - beta) / curvature",
    ),
    Wrong(
        "where the eigenvalues turn real",
        "return (1.0 + beta**0.5) ** 2 / curvature",
        caught_by=("values",),
        mistake="the edge of the oscillating regime, (1 + sqrt(beta))**2 / curvature",
    ),
    Wrong(
        "Nesterov's limit",
        "return 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * curvature)",
        caught_by=("values",),
        mistake="Nesterov's limit, 2 * (1 + beta) / ((1 + 2 * beta) * curvature)",
    ),
    Wrong(
        "a bisection on a short simulation (too coarse)",
        """
        low, high = 0.0, 10.0 / curvature
        for _ in range(12):
            lr = (low + high) / 2
            x, v = 1.0, 0.0
            for _ in range(50):
                v = beta * v + curvature * x
                x = x - lr * v
            low, high = (lr, high) if abs(x) < 1.0 else (low, lr)
        return low
        """,
        caught_by=("values", "edge_cases"),
    ),
]

RIGHT = [
    Right(
        "from the eigenvalue at -1 (the characteristic polynomial at z = -1)",
        """
        # z**2 - (1 + beta - lr*curvature) z + beta = 0 has the root z = -1 when
        # 1 + (1 + beta - lr*curvature) + beta = 0
        return (2.0 + 2.0 * beta) / curvature
        """,
    ),
    Right(
        "numerically, with NumPy's eigenvalues and a root search",
        """
        def spectral_radius(lr):
            m = np.array([[1.0 - lr * curvature, -lr * beta], [curvature, beta]])
            return np.abs(np.linalg.eigvals(m)).max()

        low, high = 0.0, 4.0 / curvature
        for _ in range(200):
            middle = (low + high) / 2
            low, high = (middle, high) if spectral_radius(middle) < 1.0 else (low, middle)
        return float(low)
        """,
    ),
]
