"""decay_only_fraction (06_adamw): (1 - lr * weight_decay) ** num_steps."""

from .corpus import Right, Wrong

EXERCISE = "decay_only_fraction"

WRONG = [
    Wrong(
        "computed in float32",
        "return float((np.float32(1) - np.float32(lr) * np.float32(weight_decay)) ** num_steps)",
        caught_by=("tiny_decay",),
        mistake="computed in float32 (1 - lr*weight_decay rounds to 1)",
    ),
    Wrong(
        "without the learning rate",
        "return (1.0 - weight_decay) ** num_steps",
        caught_by=("values",),
        mistake="(1 - weight_decay)**num_steps, without the learning rate",
    ),
    Wrong(
        "a straight line",
        "return 1.0 - num_steps * lr * weight_decay",
        caught_by=("values",),
        mistake="a straight line, 1 - num_steps * lr * weight_decay",
    ),
    Wrong(
        "the smooth approximation",
        "return float(np.exp(-lr * weight_decay * num_steps))",
        caught_by=("values",),
        mistake="the smooth approximation exp(-lr * weight_decay * num_steps)",
    ),
    Wrong(
        "the fraction removed",
        "return 1.0 - (1.0 - lr * weight_decay) ** num_steps",
        caught_by=("values", "edge_cases"),
        mistake="the fraction removed, not the fraction left",
    ),
]

RIGHT = [
    Right(
        "through logarithms (log1p keeps tiny decays exact)",
        """
        factor = 1.0 - lr * weight_decay
        if factor <= 0 or num_steps == 0:
            return factor**num_steps
        return float(np.exp(num_steps * np.log1p(-lr * weight_decay)))
        """,
    ),
    Right("math.pow", "import math\nreturn math.pow(1.0 - lr * weight_decay, num_steps)"),
]
