"""gradient_descent (01_gradient_descent): a whole run of GD, returning every point."""

from .corpus import Right, Wrong

EXERCISE = "gradient_descent"

WRONG = [
    Wrong(
        "starting point left out",
        """
        points = []
        x = np.array(x0, dtype=float)
        for _ in range(num_steps):
            x = gd_step(x, grad_fn(x), lr)
            points.append(x)
        return np.array(points)
        """,
        caught_by=("values", "random_quadratics", "edge_cases"),
        mistake="the starting point left out of the trajectory",
    ),
    Wrong(
        "one step too many",
        """
        points = [np.array(x0, dtype=float)]
        for _ in range(num_steps + 1):
            points.append(gd_step(points[-1], grad_fn(points[-1]), lr))
        return np.array(points)
        """,
        caught_by=("values", "random_quadratics", "edge_cases"),
        mistake="one step too many",
    ),
    Wrong(
        "gradient taken at the start on every step",
        """
        g0 = grad_fn(np.array(x0, dtype=float))
        points = [np.array(x0, dtype=float)]
        for _ in range(num_steps):
            points.append(gd_step(points[-1], g0, lr))
        return np.array(points)
        """,
        caught_by=("values", "random_quadratics"),
        mistake="the gradient taken at the starting point on every step",
    ),
    Wrong(
        "a loop that modifies the caller's array",
        """
        x = x0
        points = [x.copy()]
        for _ in range(num_steps):
            x[...] = gd_step(x, grad_fn(x), lr)
            points.append(x.copy())
        return np.array(points)
        """,
        caught_by=("random_quadratics", "edge_cases"),
    ),
    Wrong(
        "every row is the same array (appended, then updated in place)",
        """
        x = np.array(x0, dtype=float)
        points = [x]
        for _ in range(num_steps):
            x[...] = gd_step(x, grad_fn(x), lr)
            points.append(x)
        return np.array(points)
        """,
        caught_by=("values", "random_quadratics"),
    ),
    Wrong(
        "the step written out instead of calling gd_step",
        """
        x = np.array(x0, dtype=float)
        points = [x]
        for _ in range(num_steps):
            x = x - lr * grad_fn(x)
            points.append(x)
        return np.array(points)
        """,
        caught_by=("values",),
    ),
    Wrong(
        "returns a list of points",
        """
        points = [np.array(x0, dtype=float)]
        for _ in range(num_steps):
            points.append(gd_step(points[-1], grad_fn(points[-1]), lr))
        return points
        """,
        caught_by=("values", "random_quadratics", "edge_cases"),
    ),
]

RIGHT = [
    Right(
        "a preallocated array",
        """
        x0 = np.asarray(x0, dtype=float)
        path = np.empty((num_steps + 1, *x0.shape))
        path[0] = x0
        for k in range(num_steps):
            path[k + 1] = gd_step(path[k], grad_fn(path[k]), lr)
        return path
        """,
    ),
    Right(
        "a for loop over a copy, np.stack at the end",
        """
        x = np.array(x0, dtype=float)
        points = [x]
        for _ in range(num_steps):
            x = gd_step(x, grad_fn(x), lr)
            points.append(x)
        return np.stack(points)
        """,
    ),
    Right(
        "a while loop",
        """
        rows, k = [np.copy(x0).astype(float)], 0
        while k < num_steps:
            rows.append(np.asarray(gd_step(rows[-1], np.asarray(grad_fn(rows[-1])), lr)))
            k += 1
        return np.array(rows)
        """,
    ),
]
