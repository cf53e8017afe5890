"""steady_state_speedup (03_momentum): 1 / (1 - beta)."""

from .corpus import Right, Wrong

EXERCISE = "steady_state_speedup"

WRONG = [
    Wrong("1 - beta", "return 1.0 - beta", caught_by=("values",), mistake="1 - beta"),
    Wrong(
        "only the extra from momentum",
        "return beta / (1.0 - beta)",
        caught_by=("values",),
        mistake="beta / (1 - beta) (only the extra from momentum)",
    ),
    Wrong(
        "the series squared",
        "return 1.0 / (1.0 - beta) ** 2",
        caught_by=("values",),
        mistake="1 / (1 - beta)**2",
    ),
    Wrong(
        "a truncated geometric series (100 terms)",
        "return sum(beta**k for k in range(100))",
        caught_by=("values",),
    ),
]

RIGHT = [
    Right(
        "the geometric series summed to convergence",
        """
        total, term = 0.0, 1.0
        while term > 1e-17 * (total + 1):
            total += term
            term *= beta
        return total
        """,
    ),
    Right("solving v = beta*v + g with g = 1", "velocity = 1 / (1 - beta)\nreturn float(velocity)"),
]
