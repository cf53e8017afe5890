"""lr_range_test (10_learning_rate_schedules): geometric rates, loss after each step, a tenth."""

from .corpus import Right, Wrong

EXERCISE = "lr_range_test"

_LOOP = """
x = np.array(x0, dtype=float)
losses = np.empty(num_steps)
with np.errstate(all="ignore"):
    for k in range(num_steps):
        x = x - lrs[k] * grad_fn(x)
        losses[k] = loss_fn(x)
"""

WRONG = [
    Wrong(
        "evenly spaced rates",
        "lrs = np.linspace(lr_start, lr_end, num_steps)"
        + _LOOP
        + "return lrs, losses, float(lrs[np.nanargmin(losses)] / 10)",
        caught_by=("values",),
        mistake="evenly spaced rates instead of geometrically spaced ones",
    ),
    Wrong(
        "the loss before the step",
        """
        lrs = np.geomspace(lr_start, lr_end, num_steps)
        x = np.array(x0, dtype=float)
        losses = np.empty(num_steps)
        with np.errstate(all="ignore"):
            for k in range(num_steps):
                losses[k] = loss_fn(x)
                x = x - lrs[k] * grad_fn(x)
        return lrs, losses, float(lrs[np.nanargmin(losses)] / 10)
        """,
        caught_by=("values",),
        mistake="the loss recorded before each step instead of after it",
    ),
    Wrong(
        "the rate at the lowest loss itself",
        "lrs = np.geomspace(lr_start, lr_end, num_steps)"
        + _LOOP
        + "return lrs, losses, float(lrs[np.nanargmin(losses)])",
        caught_by=("values", "known_answer"),
        mistake="the rate at the lowest loss suggested as it is",
    ),
    Wrong(
        "rates that stop short of lr_end",
        "lrs = lr_start * (lr_end / lr_start) ** (np.arange(num_steps) / num_steps)"
        + _LOOP
        + "return lrs, losses, float(lrs[np.nanargmin(losses)] / 10)",
        caught_by=("values",),
        mistake="rates that stop one factor short of lr_end",
    ),
    Wrong(
        "x0 updated in place",
        """
        lrs = np.geomspace(lr_start, lr_end, num_steps)
        losses = np.empty(num_steps)
        x = x0
        with np.errstate(all="ignore"):
            for k in range(num_steps):
                x -= lrs[k] * grad_fn(x)
                losses[k] = loss_fn(x)
        return lrs, losses, float(lrs[np.nanargmin(losses)] / 10)
        """,
        caught_by=("values", "known_answer"),
    ),
]

RIGHT = [
    Right(
        "rates by repeated multiplication, the loss in a list",
        """
        factor = (lr_end / lr_start) ** (1.0 / (num_steps - 1))
        lrs = lr_start * factor ** np.arange(num_steps)
        x, losses = np.asarray(x0, dtype=float).copy(), []
        with np.errstate(over="ignore", invalid="ignore"):
            for rate in lrs:
                x = x - rate * grad_fn(x)
                losses.append(loss_fn(x))
        losses = np.array(losses, dtype=float)
        return lrs, losses, float(0.1 * lrs[np.nanargmin(losses)])
        """,
    ),
    Right(
        "logspace in base 10",
        """
        lrs = np.logspace(np.log10(lr_start), np.log10(lr_end), num_steps)
        x = np.array(x0, dtype=float)
        losses = np.zeros(num_steps)
        with np.errstate(all="ignore"):
            for k, rate in enumerate(lrs):
                x = x - rate * grad_fn(x)
                losses[k] = loss_fn(x)
        return lrs, losses, float(lrs[np.nanargmin(losses)]) / 10
        """,
    ),
]
