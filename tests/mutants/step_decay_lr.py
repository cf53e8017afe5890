"""step_decay_lr (10_learning_rate_schedules): lr * gamma ** (step // step_size), like StepLR."""

from .corpus import Right, Wrong

EXERCISE = "step_decay_lr"

WRONG = [
    Wrong(
        "1-based steps: the first decay one step early",
        "return float(lr * gamma ** ((step + 1) // step_size))",
        caught_by=("values", "edge_cases"),
        mistake="off-by-one step counting",
    ),
    Wrong(
        "decay on every step",
        "return float(lr * gamma**step)",
        caught_by=("values",),
        mistake="decay on every step",
    ),
    Wrong(
        "gamma times the number of periods",
        "return float(lr * gamma * (step // step_size))",
        caught_by=("values", "edge_cases"),
        mistake="gamma multiplied by the number of periods instead of raised to it",
    ),
    Wrong(
        "periods rounded up",
        "return float(lr * gamma ** int(np.ceil(step / step_size)))",
        caught_by=("values", "edge_cases"),
        mistake="the number of periods rounded up",
    ),
    Wrong(
        "periods rounded to the nearest whole number",
        "return float(lr * gamma ** round(step / step_size))",
        caught_by=("values",),
    ),
]

RIGHT = [
    Right(
        "a loop that multiplies once per complete period",
        """
        rate = lr
        for _ in range(step // step_size):
            rate *= gamma
        return float(rate)
        """,
    ),
    Right(
        "np.floor_divide and np.power",
        "return float(np.power(gamma, np.floor_divide(step, step_size)) * lr)",
    ),
]
