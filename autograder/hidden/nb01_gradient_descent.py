"""Hidden tests for notebook 01 beyond the step: GD loop and the largest stable learning rate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.kit.core import (
    Mistake,
    call,
    check_numbers,
    close,
    describe,
    fail,
    fail_if_known_mistake,
    substituted,
)
from autograder.references import gd_step


def gradient_descent(
    grad_fn: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, lr: float, num_steps: int
) -> np.ndarray:
    """Reference: the points x0, ..., x_num_steps, an array of shape (num_steps + 1, *x0.shape)."""
    points = [np.array(x0, dtype=float)]
    for _ in range(num_steps):
        points.append(gd_step(points[-1], grad_fn(points[-1]), lr))
    return np.stack(points)


def max_stable_learning_rate(hessian: np.ndarray) -> float:
    """Reference: 2 / (largest eigenvalue) for f(x) = x^T A x / 2 with A symmetric PD."""
    return float(2.0 / np.linalg.eigvalsh(np.asarray(hessian, dtype=float)).max())


LOOP_MISTAKES = [
    Mistake(
        "the starting point left out of the trajectory",
        "return x0 as the first row: num_steps + 1 rows in all",
        lambda grad_fn, x0, lr, n: gradient_descent(grad_fn, x0, lr, n)[1:],
    ),
    Mistake(
        "one step too many",
        "take exactly num_steps steps: the result has num_steps + 1 rows",
        lambda grad_fn, x0, lr, n: gradient_descent(grad_fn, x0, lr, n + 1),
    ),
    Mistake(
        "the gradient taken at the starting point on every step",
        "call grad_fn at the *current* point inside the loop",
        lambda grad_fn, x0, lr, n: (
            np.array([x0 - k * lr * grad_fn(x0) for k in range(n + 1)]) if n > 1 else None
        ),
    ),
]


def _check_loop_case(
    fn: Callable[..., Any], hessian: np.ndarray, x0: np.ndarray, lr: float, num_steps: int
) -> None:
    calls = {"count": 0}

    def grad_fn(x: np.ndarray) -> np.ndarray:
        calls["count"] += 1
        return hessian @ np.asarray(x, dtype=float)

    want = gradient_descent(lambda x: hessian @ x, x0, lr, num_steps)
    x0_before = x0.copy()
    with substituted(fn, gd_step=gd_step):
        got = call(fn, "gradient_descent", grad_fn, x0, lr, num_steps)
    context = (
        f"gradient_descent(grad_fn, x0={describe(x0_before)}, lr={lr:g}, num_steps={num_steps})"
    )
    if not np.array_equal(x0, x0_before):
        fail(f"{context} changed x0 in place.", hint="copy the starting point before the loop")
    if isinstance(got, list):
        fail(
            f"{context} returned a list; expected a NumPy array.",
            hint="collect the points in a list, then return np.array(points)",
        )
    if not isinstance(got, np.ndarray):
        fail(f"{context} returned {describe(got)}; expected a NumPy array of points.")
    got = got.astype(float)
    if close(got, want, 1e-8):
        if calls["count"] > num_steps + 1:
            fail(
                f"{context} called grad_fn {calls['count']} times for {num_steps} steps.",
                hint="one gradient per step is enough",
            )
        return
    args = (lambda x: hessian @ x, x0_before, lr, num_steps)
    fail_if_known_mistake(context, LOOP_MISTAKES, args, lambda guess: close(got, guess, 1e-8))
    if got.shape != want.shape:
        fail(
            f"{context} returned shape {got.shape}, expected {want.shape} "
            f"(num_steps + 1 rows, one per point)."
        )
    row = int(np.argmax(np.abs(got - want).reshape(len(want), -1).max(axis=1)))
    fail(
        f"{context}: point {row} is {describe(got[row])}, expected {describe(want[row])}.",
        hint="each point is gd_step(previous point, grad_fn(previous point), lr)",
    )


def check_loop_own_work(fn: Callable[..., Any]) -> None:
    """The loop is the student's own (gd_step is the reference stand-in, as in every check)."""
    with substituted(fn, gd_step=gd_step):
        call(fn, "gradient_descent", lambda x: 2 * x, np.array([1.0]), 0.25, 3)


def check_loop(fn: Callable[..., Any], seed: int = 5) -> None:
    """The loop returns every point, start included, on random quadratics of several sizes."""
    rng = np.random.default_rng(seed)
    for dim, steps in [(1, 6), (2, 15), (5, 30)]:
        q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        hessian = q @ np.diag(rng.uniform(0.5, 4.0, dim)) @ q.T
        lr = 0.9 / np.linalg.eigvalsh(hessian).max()
        _check_loop_case(fn, hessian, rng.standard_normal(dim), lr, steps)


def check_loop_edge_cases(fn: Callable[..., Any]) -> None:
    """Zero steps return just the start; the start is never modified; a diverging run is kept."""
    hessian = np.diag([1.0, 10.0])
    _check_loop_case(fn, hessian, np.array([1.0, -1.0]), 0.1, 0)
    _check_loop_case(fn, hessian, np.array([3.0, 2.0]), 0.25, 8)  # unstable on purpose
    _check_loop_case(fn, np.array([[2.0]]), np.array([0.0]), 0.3, 4)


STABLE_LR_MISTAKES = [
    Mistake(
        "1 / (largest eigenvalue)",
        "at that rate the steepest coordinate lands exactly on the minimum; the edge of "
        "stability is where its factor 1 - lr * lambda stops shrinking it",
        lambda a: 1.0 / np.linalg.eigvalsh(a).max(),
    ),
    Mistake(
        "2 / (smallest eigenvalue)",
        "the steepest direction (largest eigenvalue) limits the learning rate",
        lambda a: 2.0 / np.linalg.eigvalsh(a).min(),
    ),
    Mistake(
        "2 / (largest diagonal entry)",
        "the diagonal holds the curvatures only when A is diagonal: use the eigenvalues "
        "(np.linalg.eigvalsh)",
        lambda a: 2.0 / np.max(np.diag(a)),
    ),
    Mistake(
        "2 / trace(A)",
        "use the largest eigenvalue, not the sum of all of them",
        lambda a: 2.0 / np.trace(a),
    ),
    Mistake(
        "2 / (largest entry of A)",
        "the entries of A are not its curvatures: use the eigenvalues (np.linalg.eigvalsh)",
        lambda a: 2.0 / np.max(a),
    ),
]


def _check_stable_lr_case(fn: Callable[..., Any], hessian: np.ndarray) -> None:
    before = hessian.copy()
    context = f"max_stable_learning_rate({describe(before)})"
    check_numbers(
        fn,
        "max_stable_learning_rate",
        (hessian,),
        max_stable_learning_rate(before),
        mistakes=STABLE_LR_MISTAKES,
        hint="every eigen-direction of A must shrink (section 2): find the rate at which the "
        "first of them stops shrinking",
        rtol=1e-9,
        context=context,
    )
    if not np.array_equal(before, hessian):
        fail(f"{context} changed its input matrix.", hint="do not modify A")


def check_stable_lr_diagonal(fn: Callable[..., Any], seed: int = 17) -> None:
    """Diagonal curvature matrices of several sizes (the curvatures are the diagonal)."""
    rng = np.random.default_rng(seed)
    for dim in (1, 3, 6):
        _check_stable_lr_case(fn, np.diag(rng.uniform(0.1, 50.0, dim)))


def check_stable_lr_rotated(fn: Callable[..., Any], seed: int = 19) -> None:
    """Rotated (non-diagonal) symmetric matrices, where the diagonal is not the curvature."""
    rng = np.random.default_rng(seed)
    for dim in (2, 4, 7):
        q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        _check_stable_lr_case(fn, q @ np.diag(rng.uniform(0.1, 50.0, dim)) @ q.T)


# --- gd_steps_to_tolerance (a thinking exercise) -------------------------------------------------
# On f = sum(curvature_i * x_i**2) / 2 each coordinate is multiplied by (1 - lr * curvature_i) per
# step, so coordinate i is within tol from step ceil(log(tol/|x_i|) / log|1 - lr*curvature_i|) on;
# the run needs the largest of these counts (0 for a coordinate that starts within tol).
def _steps_per_direction(curvatures, start, lr, tol, rounding=np.ceil) -> np.ndarray:
    factor = np.abs(1.0 - lr * np.asarray(curvatures, dtype=float))
    size = np.abs(np.asarray(start, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = rounding(np.log(tol / size) / np.log(factor))
    return np.where(size <= tol, 0, np.where(factor == 0, 1, steps))


def gd_steps_to_tolerance(curvatures, start, lr: float, tol: float) -> int:
    """Reference: steps until every |x_i| <= tol, checked against the powers themselves."""
    steps = _steps_per_direction(curvatures, start, lr, tol)
    factor = np.abs(1.0 - lr * np.asarray(curvatures, dtype=float))
    size = np.abs(np.asarray(start, dtype=float))
    for i in range(steps.size):  # move a count that rounding put one off back onto the edge
        while size[i] * factor[i] ** steps[i] > tol:
            steps[i] += 1
        while steps[i] > 0 and size[i] * factor[i] ** (steps[i] - 1) <= tol:
            steps[i] -= 1
    return int(steps.max())


STEPS_HINT = (
    "follow each coordinate on its own: how much one step multiplies it, what k steps do, and "
    "the first whole k at which its size is at most tol; then ask which coordinate finishes last"
)

STEPS_MISTAKES = [
    Mistake(
        "only the flattest direction",
        "near the stability limit the steepest direction shrinks even more slowly: every "
        "coordinate must reach tol, so each one needs its own count",
        lambda c, s, lr, tol: _steps_per_direction(c, s, lr, tol)[np.argmin(c)],
    ),
    Mistake(
        "only the steepest direction",
        "at small learning rates the flat directions are the slow ones: count every coordinate",
        lambda c, s, lr, tol: _steps_per_direction(c, s, lr, tol)[np.argmax(c)],
    ),
    Mistake(
        "rounded down (one step short)",
        "after floor(...) steps the coordinate is still a little above tol: round up",
        lambda c, s, lr, tol: _steps_per_direction(c, s, lr, tol, np.floor).max(),
    ),
    Mistake(
        "rounded to the nearest whole step",
        "the count is the first step at which the size is *at most* tol: round up",
        lambda c, s, lr, tol: _steps_per_direction(c, s, lr, tol, np.round).max(),
    ),
    Mistake(
        "one step too many",
        "after k steps the size is |start| times the factor to the power k; count steps, not "
        "points (the start is step 0)",
        lambda c, s, lr, tol: gd_steps_to_tolerance(c, s, lr, tol) + 1,
    ),
    Mistake(
        "the start's size left out",
        "a coordinate that starts farther away needs more steps: its distance enters the count",
        lambda c, s, lr, tol: _steps_per_direction(c, np.ones(len(s)), lr, tol).max(),
    ),
    Mistake(
        "the slowest factor applied to the largest starting coordinate",
        "the slowest-shrinking coordinate is not always the one that starts farthest: count each "
        "coordinate with its own factor and its own start",
        lambda c, s, lr, tol: _steps_per_direction(
            [c[int(np.argmax(np.abs(1 - lr * np.asarray(c))))]], [np.max(np.abs(s))], lr, tol
        ).max(),
    ),
]


def _check_steps_case(fn: Callable[..., Any], curvatures, start, lr: float, tol: float) -> None:
    curvatures, start = np.array(curvatures, dtype=float), np.array(start, dtype=float)
    context = (
        f"gd_steps_to_tolerance(curvatures={describe(curvatures)}, start={describe(start)}, "
        f"lr={lr!r}, tol={tol!r})"
    )
    check_numbers(
        fn,
        "gd_steps_to_tolerance",
        (curvatures, start, lr, tol),
        gd_steps_to_tolerance(curvatures, start, lr, tol),
        mistakes=STEPS_MISTAKES,
        hint=STEPS_HINT,
        rtol=0.0,
        context=context,
    )


def check_steps_values(fn: Callable[..., Any], seed: int = 23) -> None:
    """Random diagonal quadratics, learning rates from small to just below the limit."""
    rng = np.random.default_rng(seed)
    cases = 0
    while cases < 14:
        dim = int(rng.integers(2, 7))
        curvatures = np.round(10.0 ** rng.uniform(-1, 2, dim), 4)
        lr = float(round(rng.uniform(0.05, 0.995) * 2 / curvatures.max(), 6))
        start = np.round(rng.uniform(-3, 3, dim), 4)
        tol = float(10.0 ** -rng.integers(2, 7))
        exact = np.log(tol / np.abs(start)) / np.log(np.abs(1 - lr * curvatures))
        if np.min(np.abs(exact - np.round(exact))) > 1e-6:  # no count on a rounding edge
            _check_steps_case(fn, curvatures, start, lr, tol)
            cases += 1


def check_steps_edge_cases(fn: Callable[..., Any]) -> None:
    """Starts within tol, lr * curvature = 1, one direction, 50 directions, tiny tol."""
    _check_steps_case(fn, [2.0, 5.0], [1e-4, -2e-4], 0.1, 1e-3)
    _check_steps_case(fn, [2.0, 5.0], [0.0, 3.0], 0.3, 1e-3)
    _check_steps_case(fn, [4.0, 1.0], [2.0, 0.0], 0.25, 1e-8)
    _check_steps_case(fn, [0.5], [-7.0], 1.3, 1e-12)
    _check_steps_case(fn, [1e-3, 1.0], [1.0, 1.0], 1.5, 1e-3)
    rng = np.random.default_rng(29)
    curvatures = rng.uniform(0.5, 20.0, 50)
    _check_steps_case(fn, curvatures, rng.uniform(-1, 1, 50), 0.09, 1e-5)
