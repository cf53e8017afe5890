"""momentum_speedup (03_momentum): momentum's distance / plain SGD's after num_steps steps."""

from .corpus import Right, Wrong

EXERCISE = "momentum_speedup"

WRONG = [
    Wrong(
        "the steady-state value whatever num_steps is",
        "return 1.0 / (1.0 - beta)",
        caught_by=("values", "edge_cases"),
        mistake="the steady-state speed-up 1 / (1 - beta) whatever num_steps is",
    ),
    Wrong(
        "the last step only",
        "return (1.0 - beta**num_steps) / (1.0 - beta)",
        caught_by=("values",),
        mistake="the speed-up of the last step only, (1 - beta**n) / (1 - beta)",
    ),
    Wrong(
        "not divided by plain SGD's distance",
        """
        velocity, distance = 0.0, 0.0
        for _ in range(num_steps):
            velocity = beta * velocity + 1.0
            distance += velocity
        return distance
        """,
        caught_by=("values", "limit"),
        mistake="momentum's distance not divided by plain SGD's (num_steps * lr * g)",
    ),
    Wrong(
        "steps with the old velocity",
        """
        velocity, distance = 0.0, 0.0
        for _ in range(num_steps):
            distance += velocity
            velocity = beta * velocity + 1.0
        return distance / num_steps
        """,
        caught_by=("values", "edge_cases"),
        mistake="the step taken with the old velocity (the first step does not move)",
    ),
    Wrong(
        "the EMA form of momentum",
        """
        velocity, distance = 0.0, 0.0
        for _ in range(num_steps):
            velocity = beta * velocity + (1 - beta)
            distance += velocity
        return distance / num_steps
        """,
        caught_by=("values", "limit"),
        mistake="the EMA form of momentum, v = beta*v + (1-beta)*g",
    ),
]

RIGHT = [
    Right(
        "the closed form of the summed geometric series",
        """
        if beta == 0:
            return 1.0
        n = num_steps
        return (n - beta * (1 - beta**n) / (1 - beta)) / ((1 - beta) * n)
        """,
    ),
    Right(
        "NumPy: cumulative velocities",
        """
        velocities = np.cumsum(beta ** np.arange(num_steps))
        return float(velocities.sum() / num_steps)
        """,
    ),
]
