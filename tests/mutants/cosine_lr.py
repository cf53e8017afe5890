"""cosine_lr (10_learning_rate_schedules): half a cosine from lr to lr_min at total_steps."""

from .corpus import Right, Wrong

EXERCISE = "cosine_lr"

WRONG = [
    Wrong(
        "1-based steps",
        "return float(lr_min + (lr - lr_min) * (1 + np.cos(np.pi * (step + 1) / total_steps)) / 2)",
        caught_by=("values",),
        mistake="off-by-one step counting (1-based steps)",
    ),
    Wrong(
        "the floor left out",
        "return float(lr * (1 + np.cos(np.pi * step / total_steps)) / 2)",
        caught_by=("values", "edge_cases"),
        mistake="a cosine that ignores its floor",
    ),
    Wrong(
        "never reaches its floor",
        "return float(lr_min + (lr - lr_min) * (1 + np.cos(np.pi * step / (2 * total_steps))) / 2)",
        caught_by=("values",),
        mistake="a cosine that never reaches its floor",
    ),
    Wrong(
        "overshoots its floor",
        "return float(lr_min + (lr - lr_min) * np.cos(np.pi * step / total_steps))",
        caught_by=("values",),
        mistake="a cosine that overshoots its floor",
    ),
    Wrong(
        "reaches the floor one step early",
        "return float(lr_min + (lr - lr_min) * (1 + np.cos(np.pi * step / (total_steps - 1))) / 2)",
        caught_by=("values",),
        mistake="a cosine that reaches its floor one step early",
    ),
    Wrong(
        "the floor one step late",
        "return float(lr_min + (lr - lr_min) * (1 + np.cos(np.pi * step / (total_steps + 1))) / 2)",
        caught_by=("values",),
    ),
]

RIGHT = [
    Right(
        "cos^2 of half the angle",
        "return float(lr_min + (lr - lr_min) * np.cos(np.pi * step / (2 * total_steps)) ** 2)",
    ),
    Right(
        "math.cos and a fraction",
        """
        import math
        done = step / total_steps
        return lr_min + 0.5 * (lr - lr_min) * (1.0 + math.cos(math.pi * done))
        """,
    ),
]
