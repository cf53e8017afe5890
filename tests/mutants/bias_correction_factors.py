"""bias_correction_factors (05_adam): (1 / (1 - beta1**t), 1 / (1 - beta2**t))."""

from .corpus import Right, Wrong

EXERCISE = "bias_correction_factors"

WRONG = [
    Wrong(
        "t counted from 0",
        "return 1 / (1 - beta1 ** (t + 1)), 1 / (1 - beta2 ** (t + 1))",
        caught_by=("values", "first_step"),
        mistake="t counted from 0 (1 / (1 - beta**(t + 1)))",
    ),
    Wrong(
        "(1 - beta)**t",
        "return 1 / (1 - beta1) ** t, 1 / (1 - beta2) ** t",
        caught_by=("values", "later_steps"),
        mistake="(1 - beta)**t in place of 1 - beta**t",
    ),
    Wrong(
        "the denominators, not the factors",
        "return 1 - beta1**t, 1 - beta2**t",
        caught_by=("values", "first_step", "later_steps"),
        mistake="the denominators returned, not the factors (1 - beta**t)",
    ),
    Wrong(
        "beta1 and beta2 swapped",
        "return 1 / (1 - beta2**t), 1 / (1 - beta1**t)",
        caught_by=("values", "first_step"),
        mistake="beta1 and beta2 swapped",
    ),
    Wrong(
        "a square root on the second factor",
        "return 1 / (1 - beta1**t), 1 / (1 - beta2**t) ** 0.5",
        caught_by=("values", "first_step"),
        mistake="a square root on the second factor (1 / sqrt(1 - beta2**t))",
    ),
]

RIGHT = [
    Right(
        "NumPy arrays of both betas",
        """
        factors = 1.0 / (1.0 - np.array([beta1, beta2], dtype=float) ** t)
        return float(factors[0]), float(factors[1])
        """,
    ),
    Right(
        "a power computed by repeated multiplication",
        """
        p1 = p2 = 1.0
        for _ in range(int(t)):
            p1 *= beta1
            p2 *= beta2
        return 1.0 / (1.0 - p1), 1.0 / (1.0 - p2)
        """,
    ),
]
