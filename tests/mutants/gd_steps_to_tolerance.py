"""gd_steps_to_tolerance (01_gradient_descent): the count of the slowest coordinate."""

from .corpus import Right, Wrong

EXERCISE = "gd_steps_to_tolerance"

WRONG = [
    Wrong(
        "only the flattest direction",
        """
        i = int(np.argmin(curvatures))
        if abs(start[i]) <= tol:
            return 0
        return int(np.ceil(np.log(tol / abs(start[i])) / np.log(abs(1 - lr * curvatures[i]))))
        """,
        caught_by=("values",),
        mistake="only the flattest direction",
    ),
    Wrong(
        "rounded down",
        """
        counts = np.floor(np.log(tol / np.abs(start)) / np.log(np.abs(1 - lr * curvatures)))
        return int(max(counts.max(), 0))
        """,
        caught_by=("values", "edge_cases"),
        mistake="rounded down (one step short)",
    ),
    Wrong(
        "the start's size left out",
        """
        counts = np.ceil(np.log(tol) / np.log(np.abs(1 - lr * np.asarray(curvatures))))
        return int(counts.max())
        """,
        caught_by=("values", "edge_cases"),
        mistake="the start's size left out",
    ),
    Wrong(
        "a simulation that counts the points, start included",
        """
        x, count = np.array(start, dtype=float), 1
        while np.max(np.abs(x)) > tol:
            x = x - lr * np.asarray(curvatures) * x
            count += 1
        return count
        """,
        caught_by=("values", "edge_cases"),
        mistake="one step too many",
    ),
    Wrong(
        "the slowest factor for the largest start",
        """
        factor = np.max(np.abs(1 - lr * np.asarray(curvatures)))
        size = np.max(np.abs(start))
        return 0 if size <= tol else int(np.ceil(np.log(tol / size) / np.log(factor)))
        """,
        caught_by=("values", "edge_cases"),
        mistake="the slowest factor applied to the largest starting coordinate",
    ),
    Wrong(
        "no absolute value (a flipping coordinate gives nan)",
        """
        counts = np.ceil(np.log(tol / np.abs(start)) / np.log(1 - lr * np.asarray(curvatures)))
        return float(np.max(np.where(np.abs(start) <= tol, 0, counts)))
        """,
        caught_by=("values", "edge_cases"),
    ),
]

RIGHT = [
    Right(
        "math.log per coordinate",
        """
        import math

        steps = 0
        for curvature, x in zip(curvatures, start):
            factor = abs(1.0 - lr * curvature)
            if abs(x) <= tol:
                continue
            if factor == 0.0:
                steps = max(steps, 1)
                continue
            steps = max(steps, math.ceil(math.log(tol / abs(x)) / math.log(factor)))
        return steps
        """,
    ),
    Right(
        "multiplying each distance by its factor until it is small enough",
        """
        distance = np.abs(np.asarray(start, dtype=float))
        factor = np.abs(1.0 - lr * np.asarray(curvatures, dtype=float))
        steps = 0
        while np.any(distance > tol):
            distance = distance * factor
            steps += 1
        return steps
        """,
    ),
]
