"""Hidden tests for notebook 08: the comparison harness.

``run_optimizer(make_optimizer, landscape, start, num_steps)`` drives one torch optimizer (built
once from ``make_optimizer([params])``) over ``landscape.grad`` from a float64 copy of ``start``
and returns the float64 points, shape (num_steps + 1, 2). ``steps_to_tolerance(losses,
min_value, tol)`` is the first step from which every later gap ``loss - min_value`` is <= tol, as
an int (-1 if the last one is not; a NaN is never within). Both are specified in the notebook.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from autograder.kit.core import (
    Mistake,
    call,
    describe,
    fail,
    fail_if_known_mistake,
    max_relative_error,
    quiet,
)
from optimlab.landscapes import Landscape, quadratic, rosenbrock, saddle
from optimlab.showdown import optimizer_factory

OptimizerFactory = Callable[[list[torch.Tensor]], torch.optim.Optimizer]
TRAJECTORY_RTOL = 1e-9


# --- references ----------------------------------------------------------------------------------
def run_optimizer(
    make_optimizer: OptimizerFactory, landscape: Landscape, start: Any, num_steps: int
) -> np.ndarray:
    """Reference: the points visited by a torch optimizer, shape (num_steps + 1, 2), float64."""
    params = torch.tensor(np.asarray(start, dtype=np.float64), requires_grad=True)
    optimizer = make_optimizer([params])
    points = [params.detach().numpy().copy()]
    for _ in range(num_steps):
        optimizer.zero_grad()
        grad = landscape.grad(params.detach().numpy())
        params.grad = torch.tensor(np.asarray(grad, dtype=np.float64))
        optimizer.step()
        points.append(params.detach().numpy().copy())
    return np.array(points)


def steps_to_tolerance(losses: Any, min_value: float, tol: float) -> int:
    """Reference: the first step from which the loss stays within tol of min_value, else -1."""
    return _settled(np.asarray(losses, dtype=float) - float(min_value) <= tol)  # NaN: never


# --- run_optimizer: known mistakes ---------------------------------------------------------------
def _flawed_run(make, landscape, start, num_steps, *, dtype=torch.float64, fresh=False, feed=None):  # noqa: ANN001, ANN202
    """A harness with one flaw: ``fresh`` builds a new optimizer every step, ``feed(g, seen)``
    turns this step's gradient (and those seen so far) into the one handed over, ``dtype``."""
    params = torch.tensor(np.asarray(start, dtype=np.float64), dtype=dtype, requires_grad=True)
    optimizer = make([params])
    points, seen = [params.detach().numpy().astype(np.float64)], []
    for _ in range(num_steps):
        optimizer = make([params]) if fresh else optimizer
        seen.append(np.asarray(landscape.grad(params.detach().numpy().astype(np.float64)), float))
        params.grad = torch.tensor(feed(seen[-1], seen) if feed else seen[-1], dtype=dtype)
        optimizer.step()
        points.append(params.detach().numpy().astype(np.float64))
    return np.array(points)


def _flawed(**flaw: Any) -> Callable[..., np.ndarray]:
    return lambda make, land, start, n: _flawed_run(make, land, start, n, **flaw)


_FLOAT32 = Mistake(
    "the parameters kept in float32",
    "torch.tensor((1.0, 2.0)) is float32 by default: ask for "
    "torch.tensor(start, dtype=torch.float64)",
    _flawed(dtype=torch.float32),
)
RUN_MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "the start left out of the trajectory",
        "record the starting point as the first row: num_steps + 1 rows in all",
        lambda make, land, start, n: run_optimizer(make, land, start, n)[1:],
    ),
    Mistake(
        "one step too many",
        "take exactly num_steps steps: the result has num_steps + 1 rows, the start included",
        lambda make, land, start, n: run_optimizer(make, land, start, n + 1),
    ),
    Mistake(
        "a new optimizer made on every step",
        "call make_optimizer once, before the loop: the optimizer keeps its state (momentum "
        "buffer, Adam's moments and step count) from one step to the next",
        _flawed(fresh=True),
    ),
    Mistake(
        "the gradient taken at the starting point on every step",
        "call landscape.grad at the *current* parameters inside the loop",
        _flawed(feed=lambda g, seen: seen[0]),
    ),
    Mistake(
        "gradient ascent (the gradient's sign flipped)",
        "set params.grad to the gradient itself: optimizer.step() already moves against it",
        _flawed(feed=lambda g, seen: -g),
    ),
    Mistake(
        "gradients added up over the steps instead of replaced",
        "each step needs the gradient at the current point only: call optimizer.zero_grad() "
        "(or assign params.grad = ...) instead of adding to the old gradient",
        _flawed(feed=lambda g, seen: np.sum(seen, axis=0)),
    ),
    _FLOAT32,
)


# --- run_optimizer: checks -----------------------------------------------------------------------
def _rotated_quadratic(rng: np.random.Generator) -> Landscape:
    """A random, rotated, ill-conditioned bowl f = p^T A p / 2 with its minimum at 0."""
    angle = rng.uniform(0, np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotation @ np.diag([rng.uniform(0.5, 2.0), rng.uniform(5.0, 30.0)]) @ rotation.T
    base = quadratic()
    return dataclasses.replace(
        base,
        name="random rotated valley",
        value=lambda p: 0.5 * np.einsum("...i,ij,...j->...", p, matrix, p),
        grad=lambda p: np.asarray(p, dtype=float) @ matrix,
    )


def _random_landscape(rng: np.random.Generator, index: int) -> Landscape:
    kind = index % 3
    if kind == 0:
        return _rotated_quadratic(rng)
    if kind == 1:
        return rosenbrock(a=rng.uniform(0.5, 1.5), b=rng.uniform(5.0, 20.0))
    return saddle()


def _counting(landscape: Landscape) -> tuple[Landscape, dict[str, int]]:
    calls = {"count": 0}
    exact = landscape.grad

    def grad(p: np.ndarray) -> np.ndarray:
        calls["count"] += 1
        return exact(p)

    return dataclasses.replace(landscape, grad=grad), calls


def _describe_start(start: Any) -> str:
    if isinstance(start, np.ndarray):
        return f"np.array({start.tolist()}, dtype={start.dtype})"
    return repr(start)


def _check_run_case(
    fn: Callable[..., Any],
    label: str,
    make: OptimizerFactory,
    landscape: Landscape,
    start: Any,
    num_steps: int,
) -> None:
    """Run the student's harness once and compare with the reference; explain any difference."""
    with quiet():
        want = run_optimizer(make, landscape, start, num_steps)
    counted, calls = _counting(landscape)
    start_before = start.copy() if isinstance(start, np.ndarray) else start
    got = call(fn, "run_optimizer", make, counted, start, num_steps)
    context = (
        f"run_optimizer({label}, landscape={landscape.name!r}, "
        f"start={_describe_start(start_before)}, num_steps={num_steps})"
    )
    if isinstance(start, np.ndarray) and not np.array_equal(start, start_before):
        fail(
            f"{context} changed `start` in place: it is now {describe(start)}.",
            hint="torch.from_numpy(start) shares memory with `start`, so optimizer.step() moves "
            "it too: build the parameters with torch.tensor(start, dtype=torch.float64), which "
            "copies",
        )
    if isinstance(got, torch.Tensor):
        fail(
            f"{context} returned a torch.Tensor; expected a NumPy array.",
            hint="collect each point as params.detach().numpy().copy() and return np.array(points)",
        )
    if isinstance(got, (list, tuple)):
        fail(
            f"{context} returned a {type(got).__name__}; expected a NumPy array.",
            hint="collect the points in a list, then return np.array(points)",
        )
    if not isinstance(got, np.ndarray):
        fail(f"{context} returned {describe(got)}; expected a NumPy array of points.")
    if not np.issubdtype(got.dtype, np.floating):
        fail(f"{context} returned an array of {got.dtype}; expected float64 points.")
    if got.shape == want.shape and _close(got, want, rtol=TRAJECTORY_RTOL):
        if got.dtype != np.float64:
            fail(
                f"{context} returned {got.dtype} points; expected float64.",
                hint="keep the parameters in float64: torch.tensor(start, dtype=torch.float64)",
            )
        if calls["count"] > num_steps + 1:
            fail(
                f"{context} called landscape.grad {calls['count']} times for {num_steps} steps.",
                hint="one gradient per step is enough (on a noisy landscape every extra call "
                "draws new noise)",
            )
        return
    _explain_run_mismatch(context, got, want, make, landscape, start_before, num_steps)


def _close(got: np.ndarray, want: Any, *, rtol: float) -> bool:
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False
    finite = np.isfinite(want)
    if not np.array_equal(np.isfinite(got), finite):
        return False
    return not finite.any() or max_relative_error(got[finite], want[finite]) <= rtol


def _explain_run_mismatch(
    context: str,
    got: np.ndarray,
    want: np.ndarray,
    make: OptimizerFactory,
    landscape: Landscape,
    start: Any,
    num_steps: int,
) -> None:
    got = got.astype(np.float64)
    if (
        got.shape == want.shape
        and num_steps >= 2
        and np.allclose(got[1:], want[-1])
        and not np.allclose(want[1], want[-1])
    ):
        fail(
            f"{context}: every row after the start is the final point, a known mistake: the "
            "rows share memory with the parameter tensor.",
            hint="params.detach().numpy() is a view of the tensor, which optimizer.step() keeps "
            "changing: store a copy, params.detach().numpy().copy()",
        )
    args = (make, landscape, start, num_steps)
    for mistakes, rtol in ((RUN_MISTAKES[:-1], TRAJECTORY_RTOL), ((_FLOAT32,), 2e-5)):
        same = functools.partial(_close, got, rtol=rtol)
        fail_if_known_mistake(context, mistakes, args, same)
    if got.shape != want.shape:
        fail(
            f"{context} returned shape {got.shape}, expected {want.shape}: num_steps + 1 rows "
            "(the start, then one point per step), 2 columns (x, y).",
            hint="start the list of points with the start, then append one point after each step",
        )
    bad = ~(np.isclose(got, want, rtol=1e-9, atol=1e-12) | (np.isnan(got) & np.isnan(want)))
    row = int(np.argmax(bad.any(axis=1)))
    fail(
        f"{context}: point {row} is {describe(got[row])}, expected {describe(want[row])}.",
        hint="row k is the point after k steps: set params.grad to landscape.grad at the current "
        "point, then optimizer.step(), once per step",
    )


_STATEFUL: tuple[tuple[str, Callable[[np.random.Generator], dict[str, float]]], ...] = (
    ("Momentum", lambda rng: {"lr": rng.uniform(0.005, 0.02), "beta": rng.uniform(0.5, 0.95)}),
    ("RMSprop", lambda rng: {"lr": rng.uniform(0.005, 0.05), "beta": rng.uniform(0.8, 0.99)}),
    ("Adam", lambda rng: {"lr": rng.uniform(0.01, 0.1), "beta1": rng.uniform(0.7, 0.95)}),
    ("AdamW", lambda rng: {"lr": rng.uniform(0.01, 0.1), "weight_decay": rng.uniform(0.01, 0.5)}),
    ("Lion", lambda rng: {"lr": rng.uniform(0.005, 0.05), "weight_decay": rng.uniform(0.0, 0.3)}),
)


def _factory(name: str, hyper: dict[str, float]) -> tuple[OptimizerFactory, str]:
    lr = hyper["lr"]
    others = {k: v for k, v in hyper.items() if k != "lr"}
    label = ", ".join([f"lr={lr:.3g}", *(f"{k}={v:.3g}" for k, v in others.items())])
    return optimizer_factory(name, lr, **others), f"{name}({label})"


def check_run_sgd(fn: Callable[..., Any], seed: int = 8) -> None:
    """Plain SGD on random valleys, Rosenbrock curves and the saddle, from random starts."""
    rng = np.random.default_rng(seed)
    for index in range(6):
        landscape = _random_landscape(rng, index)
        lr = rng.uniform(0.005, 0.03)
        make, label = _factory("SGD", {"lr": lr})
        start = rng.uniform(-1.5, 1.5, size=2)
        _check_run_case(fn, fn_label(label), make, landscape, start, int(rng.integers(5, 25)))


def check_run_stateful(fn: Callable[..., Any], seed: int = 9) -> None:
    """Momentum, RMSprop, Adam, AdamW and Lion keep their state over a whole run."""
    rng = np.random.default_rng(seed)
    for index, (name, hyper) in enumerate(_STATEFUL * 2):
        make, label = _factory(name, hyper(rng))
        landscape = _random_landscape(rng, index)
        start = rng.uniform(-1.5, 1.5, size=2)
        _check_run_case(fn, fn_label(label), make, landscape, start, int(rng.integers(8, 30)))


def check_run_edge_cases(fn: Callable[..., Any], seed: int = 10) -> None:
    """Zero steps, starts given as tuples, lists or ints, a zero gradient, a diverging run."""
    rng = np.random.default_rng(seed)
    bowl = quadratic(a=1.0, b=10.0)
    sgd, sgd_label = _factory("SGD", {"lr": 0.05})
    adam, adam_label = _factory("Adam", {"lr": 0.1})
    _check_run_case(fn, fn_label(sgd_label), sgd, bowl, np.array([1.0, -1.0]), 0)
    _check_run_case(fn, fn_label(adam_label), adam, bowl, (1.5, -0.5), 6)
    _check_run_case(fn, fn_label(adam_label), adam, bowl, [2, -1], 5)
    _check_run_case(fn, fn_label(sgd_label), sgd, bowl, np.array([0.0, 0.0]), 4)
    unstable, unstable_label = _factory("SGD", {"lr": 0.25})  # 0.25 > 2 / 10: blows up
    _check_run_case(fn, fn_label(unstable_label), unstable, bowl, rng.uniform(-1, 1, 2), 12)
    lion, lion_label = _factory("Lion", {"lr": 0.1})
    _check_run_case(fn, fn_label(lion_label), lion, saddle(), (2, 0), 8)


def check_run_inputs_unchanged(fn: Callable[..., Any], seed: int = 12) -> None:
    """The start array is left as it was (float64 or float32), whatever the optimizer."""
    rng = np.random.default_rng(seed)
    for index, (name, hyper) in enumerate(_STATEFUL):
        make, label = _factory(name, hyper(rng))
        dtype = np.float32 if index % 2 else np.float64
        start = rng.uniform(-1.5, 1.5, size=2).astype(dtype)
        _check_run_case(fn, fn_label(label), make, _rotated_quadratic(rng), start, 10)


def fn_label(label: str) -> str:
    """How a factory appears in messages: ``make_optimizer=<SGD(lr=0.01)>``."""
    return f"make_optimizer=<{label}>"


# --- steps_to_tolerance: known mistakes ----------------------------------------------------------
def _settled(within: np.ndarray) -> int:
    """The step after the last ``False`` of ``within`` (0 if none), -1 if the last is ``False``."""
    if within.size == 0 or not within[-1]:
        return -1
    outside = np.flatnonzero(~within)
    return int(outside[-1]) + 1 if outside.size else 0


def _shifted(by: int) -> Callable[[Any, float, float], int]:
    def compute(losses: Any, min_value: float, tol: float) -> int:
        k = steps_to_tolerance(losses, min_value, tol)
        return k + by if k > 0 or (k == 0 and by > 0) else k

    return compute


def _gaps(losses: Any, min_value: float) -> np.ndarray:
    return np.asarray(losses, dtype=float) - min_value


STEPS_MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "the first step that reaches the tolerance (the run may leave it again)",
        "count from the step after the *last* loss outside the tolerance: the run must stay "
        "within it until the end",
        lambda losses, m, tol: int(np.argmax(w)) if (w := _gaps(losses, m) <= tol).any() else -1,
    ),
    Mistake(
        "steps counted from 1",
        "losses[0] is the loss after 0 steps: return the index k itself",
        _shifted(+1),
    ),
    Mistake(
        "the last step outside the tolerance (one step too early)",
        "the answer is the step *after* the last loss outside the tolerance",
        _shifted(-1),
    ),
    Mistake(
        "min_value ignored (the loss compared with tol directly)",
        "the tolerance is on the distance from the minimum's loss, not on the loss itself",
        lambda losses, min_value, tol: steps_to_tolerance(losses, 0.0, tol),
    ),
    Mistake(
        "a strict inequality (gap < tol)",
        "a loss exactly tol above the minimum counts as within tolerance: use <=",
        lambda losses, m, tol: _settled(_gaps(losses, m) < tol),
    ),
    Mistake(
        "a NaN loss counted as within tolerance",
        "NaN means the run diverged: `gap <= tol` is False for NaN, but `not (gap > tol)` is True",
        lambda losses, m, tol: _settled(~(_gaps(losses, m) > tol)),
    ),
)


# --- steps_to_tolerance: checks ------------------------------------------------------------------
def _check_steps_case(
    fn: Callable[..., Any], losses: Any, min_value: float, tol: float, label: str
) -> None:
    want = steps_to_tolerance(losses, min_value, tol)
    before = losses.copy() if isinstance(losses, np.ndarray) else list(losses)
    got = call(fn, "steps_to_tolerance", losses, min_value, tol)
    shown = describe(np.asarray(before, dtype=float)) if len(before) > 8 else repr(before)
    context = f"steps_to_tolerance({label}: losses={shown}, min_value={min_value!r}, tol={tol!r})"
    if isinstance(losses, np.ndarray) and not np.array_equal(losses, before, equal_nan=True):
        fail(
            f"{context} changed `losses` in place.",
            hint="compute the gaps as a new array: gaps = losses - min_value",
        )
    if want == -1 and got is None:
        fail(
            f"{context} returned None; a run that never settles within tolerance gives -1.",
            hint="return -1 when the last loss is not within tolerance",
        )
    if want == -1 and isinstance(got, (int, np.integer)) and got == len(before):
        fail(
            f"{context} returned len(losses) = {got}; a run that never settles gives -1.",
            hint="return -1 when the last loss is not within tolerance",
        )
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        fail(
            f"{context} returned {describe(got)}; expected a step number (an int).",
            hint="return int(k) for the step, or -1",
        )
    if int(got) == want:
        return
    fail_if_known_mistake(
        f"{context} returned {int(got)}, expected {want}",
        STEPS_MISTAKES,
        (np.array(before, dtype=float), min_value, tol),
        lambda guess: guess != want and guess == int(got),
    )
    fail(
        f"{context} returned {int(got)}, expected {want}.",
        hint="find the last loss outside the tolerance; the answer is the step after it "
        "(0 if there is none, -1 if it is the last loss)",
    )


def _decaying(rng: np.random.Generator, length: int) -> np.ndarray:
    rate = rng.uniform(0.05, 0.5)
    return rng.uniform(1, 50) * np.exp(-rate * np.arange(length)) * rng.uniform(0.9, 1.1, length)


def check_steps_decreasing(fn: Callable[..., Any], seed: int = 13) -> None:
    """Decreasing loss curves of random lengths, minima (some negative) and tolerances."""
    rng = np.random.default_rng(seed)
    for index in range(12):
        length = int(rng.integers(5, 60))
        min_value = float(rng.choice([0.0, -0.25, rng.uniform(-5, 5)]))
        gaps = np.sort(_decaying(rng, length))[::-1]
        tol = float(gaps[int(rng.integers(1, length))] * rng.uniform(1.0, 1.5))
        losses = gaps + min_value
        data: Any = losses if index % 3 else losses.tolist()
        _check_steps_case(fn, data, min_value, tol, "a decreasing curve")


def check_steps_oscillating(fn: Callable[..., Any], seed: int = 14) -> None:
    """Curves that dip below the tolerance and climb back out before they settle."""
    rng = np.random.default_rng(seed)
    for _ in range(12):
        length = int(rng.integers(12, 60))
        tol = float(10.0 ** rng.uniform(-4, -1))
        min_value = float(rng.uniform(-3, 3))
        settle = int(rng.integers(4, length - 2))
        gaps = tol * 10.0 ** rng.uniform(0.05, 3, size=length)
        gaps[settle:] = tol * rng.uniform(0.0, 1.0, size=length - settle)
        dips = rng.choice(settle - 1, size=max(1, (settle - 1) // 3), replace=False)
        gaps[dips] = tol * rng.uniform(0.0, 0.9, size=dips.size)
        gaps[settle - 1] = tol * rng.uniform(1.5, 20)
        _check_steps_case(fn, gaps + min_value, min_value, tol, "an oscillating curve")


def check_steps_edge_cases(fn: Callable[..., Any]) -> None:
    """Never settling, settled from the start, exactly tol, NaN and inf, one value, a list."""
    cases: list[tuple[Any, float, float, str]] = [
        (np.array([5.0, 3.0, 2.0]), 0.0, 0.5, "never within tolerance"),
        (np.array([0.1, 0.05, 0.2]), 0.0, 0.5, "within from the start"),
        (np.array([2.0, 0.25, 0.25, 0.1]), 0.0, 0.25, "a gap of exactly tol"),
        (np.array([2.0, 0.75, 0.75]), 0.5, 0.25, "a gap of exactly tol"),
        (np.array([1.0, 0.6, np.nan]), 0.0, 0.5, "a run that ends in NaN"),
        (np.array([1.0, np.nan, 0.1, 0.05]), 0.0, 0.5, "a NaN in the middle"),
        (np.array([np.inf, 0.3, 0.2]), 0.0, 0.5, "an infinite loss"),
        (np.array([0.3]), 0.0, 0.5, "a single loss within tolerance"),
        (np.array([3.0]), 0.0, 0.5, "a single loss outside tolerance"),
        ([4, 3, 1, 0, 0], 0.0, 1.0, "a list of ints"),
        (np.array([-0.2, -0.25, -0.2499, -0.25]), -0.25, 1e-3, "a negative minimum"),
    ]
    for losses, min_value, tol, label in cases:
        _check_steps_case(fn, losses, min_value, tol, label)
    read_only = np.array([3.0, 1.0, 0.5, 0.2, 0.1])
    read_only.flags.writeable = False
    try:
        _check_steps_case(fn, read_only, 0.0, 0.3, "a read-only array")
    except AssertionError as error:
        if "read-only" in str(error) or "writeable" in str(error):
            fail(
                "steps_to_tolerance tried to write into `losses`.",
                hint="compute the gaps as a new array: gaps = losses - min_value",
            )
        raise
