"""one_cycle_lr (10_learning_rate_schedules): OneCycleLR, cosine, two phases."""

from .corpus import Right, Wrong

EXERCISE = "one_cycle_lr"

_BODY = """
low = max_lr / div_factor
final = {final}
peak = pct_start * total_steps - {shift}
if step <= peak:
    start, end, t = low, max_lr, step / peak
else:
    start, end, t = max_lr, final, (step - peak) / ({end} - peak)
return float(end + (start - end) * {shape})
"""
_COSINE = "(1.0 + np.cos(np.pi * t)) / 2.0"


def _body(
    final: str = "low / final_div_factor",
    shift: str = "1.0",
    end: str = "total_steps - 1.0",
    shape: str = _COSINE,
) -> str:
    return _BODY.format(final=final, shift=shift, end=end, shape=shape)


WRONG = [
    Wrong(
        "the peak at pct_start * total_steps",
        _body(shift="0.0"),
        caught_by=("values", "edge_cases"),
        mistake="the peak at step pct_start * total_steps",
    ),
    Wrong(
        "linear phases",
        _body(shape="(1.0 - t)"),
        caught_by=("values",),
        mistake="straight lines instead of cosine curves",
    ),
    Wrong(
        "final rate max_lr / final_div_factor",
        _body(final="max_lr / final_div_factor"),
        caught_by=("values", "edge_cases"),
        mistake="a final rate of max_lr / final_div_factor",
    ),
    Wrong(
        "descent ends at total_steps",
        _body(end="total_steps"),
        caught_by=("values", "edge_cases"),
        mistake="a descent that ends at step total_steps instead of total_steps - 1",
    ),
    Wrong(
        "starts at max_lr (no climb from max_lr / div_factor)",
        _body().replace("low = max_lr / div_factor", "low = max_lr"),
        caught_by=("values", "edge_cases"),
    ),
]

RIGHT = [
    Right(
        "a helper for half a cosine",
        """
        def half_cosine(a, b, t):
            return b + (a - b) * 0.5 * (1 + np.cos(np.pi * t))

        start = max_lr / div_factor
        peak = pct_start * total_steps - 1
        if step <= peak:
            return float(half_cosine(start, max_lr, step / peak))
        last = total_steps - 1
        return float(half_cosine(max_lr, start / final_div_factor, (step - peak) / (last - peak)))
        """,
    ),
    Right(
        "math.cos with cos^2",
        """
        import math
        low, peak = max_lr / div_factor, pct_start * total_steps - 1
        if step <= peak:
            return low + (max_lr - low) * math.sin(math.pi * step / peak / 2) ** 2
        end = low / final_div_factor
        t = (step - peak) / (total_steps - 1 - peak)
        return end + (max_lr - end) * math.cos(math.pi * t / 2) ** 2
        """,
    ),
]
