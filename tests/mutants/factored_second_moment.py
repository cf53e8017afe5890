"""factored_second_moment (12_beyond_the_source): Adafactor's row and column statistics."""

from .corpus import Right, Wrong

EXERCISE = "factored_second_moment"

_FLOOR = """
if eps1 is None:
    eps1 = np.finfo(grad.dtype).eps
"""

WRONG = [
    Wrong(
        "a fixed beta2 = 0.999, as in Adam",
        _FLOOR
        + """
weight = 1 - 0.999
new_row_var = (1 - weight) * row_var + weight * (grad * grad).mean(axis=1)
new_col_var = (1 - weight) * col_var + weight * (grad * grad).mean(axis=0)
return new_row_var, new_col_var, np.outer(new_row_var, new_col_var) / max(new_row_var.mean(), eps1)
""",
        caught_by=("values", "trajectory"),
        mistake="a constant decay rate instead of one that depends on the step",
    ),
    Wrong(
        "means taken over the wrong axes",
        _FLOOR
        + """
weight = step ** beta2_decay
new_row_var = (1 - weight) * row_var + weight * (grad * grad).mean(axis=0)
new_col_var = (1 - weight) * col_var + weight * (grad * grad).mean(axis=1)
return new_row_var, new_col_var, np.outer(new_row_var, new_col_var) / max(new_row_var.mean(), eps1)
""",
        caught_by=("values", "trajectory", "shapes_dtypes"),
        mistake="rows and columns swapped",
    ),
    Wrong(
        "outer product without the normalization",
        """
weight = step ** beta2_decay
new_row_var = (1 - weight) * row_var + weight * (grad * grad).mean(axis=1)
new_col_var = (1 - weight) * col_var + weight * (grad * grad).mean(axis=0)
return new_row_var, new_col_var, np.outer(new_row_var, new_col_var)
""",
        caught_by=("values", "trajectory"),
        mistake="the outer product not normalized",
    ),
    Wrong(
        "the weight given to the old statistic",
        _FLOOR
        + """
weight = step ** beta2_decay
new_row_var = weight * row_var + (1 - weight) * (grad * grad).mean(axis=1)
new_col_var = weight * col_var + (1 - weight) * (grad * grad).mean(axis=0)
return new_row_var, new_col_var, np.outer(new_row_var, new_col_var) / max(new_row_var.mean(), eps1)
""",
        caught_by=("values", "trajectory"),
        mistake="the step's weight applied to the old statistic",
    ),
    Wrong(
        "the step counted from zero",
        _FLOOR
        + """
weight = (step + 1) ** beta2_decay
new_row_var = (1 - weight) * row_var + weight * (grad * grad).mean(axis=1)
new_col_var = (1 - weight) * col_var + weight * (grad * grad).mean(axis=0)
return new_row_var, new_col_var, np.outer(new_row_var, new_col_var) / max(new_row_var.mean(), eps1)
""",
        caught_by=("values", "trajectory"),
        mistake="the step counted from zero",
    ),
    Wrong(
        "the statistics updated in place",
        _FLOOR
        + """
weight = step ** beta2_decay
row_var *= 1 - weight
row_var += weight * (grad * grad).mean(axis=1)
col_var *= 1 - weight
col_var += weight * (grad * grad).mean(axis=0)
return row_var, col_var, np.outer(row_var, col_var) / max(row_var.mean(), eps1)
""",
        caught_by=("inputs_unchanged",),
    ),
    Wrong(
        "float64 forced",
        _FLOOR
        + """
g = grad.astype(np.float64)
weight = step ** beta2_decay
new_row_var = (1 - weight) * row_var.astype(float) + weight * (g * g).mean(axis=1)
new_col_var = (1 - weight) * col_var.astype(float) + weight * (g * g).mean(axis=0)
return new_row_var, new_col_var, np.outer(new_row_var, new_col_var) / max(new_row_var.mean(), eps1)
""",
        caught_by=("shapes_dtypes",),
    ),
]

RIGHT = [
    Right(
        "the paper's row and column sums, divided by the total",
        _FLOOR
        + """
weight = step ** beta2_decay
rows, cols = grad.shape
new_row_var = row_var + weight * ((grad**2).sum(axis=1) / cols - row_var)
new_col_var = col_var + weight * ((grad**2).sum(axis=0) / rows - col_var)
row_sums, col_sums = new_row_var * cols, new_col_var * rows
v_hat = np.outer(row_sums, col_sums) / max(row_sums.sum(), eps1 * rows * cols)
return new_row_var, new_col_var, v_hat
""",
    ),
    Right(
        "torch's lerp form with keepdims and a matrix product",
        """
floor = np.finfo(grad.dtype).eps if eps1 is None else eps1
weight = grad.dtype.type(step ** beta2_decay)
sq = np.square(grad)
r = row_var[:, None] + weight * (sq.mean(axis=-1, keepdims=True) - row_var[:, None])
c = col_var[None, :] + weight * (sq.mean(axis=-2, keepdims=True) - col_var[None, :])
v_hat = (r @ c) / np.maximum(r.mean(), floor)
return r[:, 0], c[0], v_hat
""",
    ),
]
