"""steps_to_tolerance (08_landscape_showdown): first step from which the run stays within tol."""

from .corpus import Right, Wrong

EXERCISE = "steps_to_tolerance"

WRONG = [
    Wrong(
        "the first step within tolerance, even if the run leaves it again",
        """
        gaps = np.asarray(losses, dtype=float) - min_value
        hits = np.flatnonzero(gaps <= tol)
        return int(hits[0]) if hits.size else -1
        """,
        caught_by=("stays",),
    ),
    Wrong(
        "compares the loss itself with tol",
        """
        within = np.asarray(losses, dtype=float) <= tol
        if within.size == 0 or not within[-1]:
            return -1
        outside = np.flatnonzero(~within)
        return int(outside[-1]) + 1 if outside.size else 0
        """,
        caught_by=("decreasing",),
    ),
    Wrong(
        "NaN treated as within tolerance",
        """
        gaps = np.asarray(losses, dtype=float) - min_value
        outside = gaps > tol
        if outside.size == 0 or outside[-1]:
            return -1
        idx = np.flatnonzero(outside)
        return int(idx[-1]) + 1 if idx.size else 0
        """,
        caught_by=("edge_cases",),
    ),
    Wrong(
        "strict < instead of <=",
        """
        within = np.asarray(losses, dtype=float) - min_value < tol
        if within.size == 0 or not within[-1]:
            return -1
        outside = np.flatnonzero(~within)
        return int(outside[-1]) + 1 if outside.size else 0
        """,
        caught_by=("edge_cases",),
    ),
]

RIGHT = [
    Right(
        "a backwards loop",
        """
        values = [float(x) for x in losses]
        if not values or not values[-1] - min_value <= tol:
            return -1
        k = len(values)
        while k > 0 and values[k - 1] - min_value <= tol:
            k -= 1
        return k
        """,
    ),
    Right(
        "a forward loop remembering the last step outside",
        """
        answer = 0
        for step, loss in enumerate(losses):
            if not (loss - min_value <= tol):
                answer = step + 1
        return answer if answer < len(losses) else -1
        """,
    ),
]
