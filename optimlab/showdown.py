"""The optimizer showdown's equipment: library optimizers, a gallery of landscapes, tables, plots.

Notebook 08 races the optimizers people use in practice (``torch.optim`` for SGD, momentum,
RMSprop, Adam and AdamW; ``lion-pytorch`` for Lion) on two-parameter landscapes. This module
holds what the race needs *around* the harness that students write:

- ``optimizer_factory(name, lr)``: a function that builds the library optimizer for a list of
  parameter tensors, with the seed's typical hyperparameters;
- ``GALLERY`` and ``make_landscape(name)``: the landscapes, each with a start, a step budget and
  a tolerance;
- ``run_all``, ``sweep`` and ``best_learning_rates``: loops over optimizers and learning rates
  that call a *runner* and a *steps-to-tolerance* function handed to them (the notebook passes
  the student's own), so nothing here is a graded answer;
- ``loss_gaps``, ``markdown_table`` and the ``plot_*`` functions: what the notebook shows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike, NDArray

from . import landscapes, registry
from .landscapes import Landscape
from .plotting import plot_curves, plot_paths

# The optimizers, by the names plots and tables show (optimlab.registry holds everything else).
OPTIMIZERS: tuple[str, ...] = tuple(registry.names())

# Every hyperparameter except the learning rate: the seed's typical values. Lion's weight decay
# is off (the course's lion_step default) so that its curve shows the sign update alone.
HYPERPARAMETERS: dict[str, dict[str, float]] = {
    info.name: info.hyperparameters for info in registry.OPTIMIZERS.values()
}

# The seed's learning-rate guidance. It gives none for plain SGD: we use momentum's.
SEED_LEARNING_RATES: dict[str, float] = {
    info.name: info.defaults["lr"] for info in registry.OPTIMIZERS.values()
}

# The learning-rate grid of the sweep: half-decades from 1e-4 to 1.
LEARNING_RATE_GRID: tuple[float, ...] = tuple(float(10.0**k) for k in np.arange(-4.0, 0.01, 0.5))

# A final loss gap above this counts as a diverged run (every landscape starts below 100).
DIVERGED_ABOVE = 1e10

OptimizerFactory = Callable[[list[Any]], Any]
Runner = Callable[[OptimizerFactory, Landscape, NDArray[np.float64], int], ArrayLike]
StepsFunction = Callable[[ArrayLike, float, float], int]


def optimizer_factory(name: str, lr: float, **overrides: float) -> OptimizerFactory:
    """A function ``make(params) -> optimizer`` building the library's ``name`` optimizer.

    ``params`` is a list of tensors. The hyperparameters are ``HYPERPARAMETERS[name]`` with
    ``overrides`` on top, in the course's names (``beta``, ``beta1``, ``beta2``, ``eps``,
    ``weight_decay``); ``optimlab.registry`` translates them to each library's arguments (torch's
    SGD momentum without dampening is the course's ``v = beta*v + g``; RMSprop's ``alpha`` is the
    course's ``beta``).
    """
    info = registry.by_name(name)
    unknown = set(overrides) - set(info.hyperparameters)
    if unknown:
        raise ValueError(f"{name} has no hyperparameter {sorted(unknown)}")
    hp = {**info.hyperparameters, **overrides, "lr": float(lr)}

    def make(params: list[Any]) -> Any:
        return info.make_torch(params, foreach=False, **hp)

    make.__name__ = f"make_{info.key}"
    make.__doc__ = f"Build torch's {name} with {hp} for a list of tensors."
    return make


@dataclass(frozen=True)
class Arena:
    """One landscape of the showdown: how to build it, how long to run, when it counts as solved."""

    name: str
    build: Callable[[], Landscape]
    num_steps: int
    tol: float
    lesson: str


def _started_at(landscape: Landscape, start: tuple[float, float]) -> Landscape:
    return dataclasses.replace(landscape, start=start)


# Starts: the landscapes' own, except in the valleys and on the plateau, where they are moved by
# 0.1 to 0.2 so that no learning rate of the grid is a whole number of steps away from the minimum
# in both coordinates at once: otherwise Lion (and sometimes RMSprop) lands *exactly* on the
# minimum every other step, a round-number coincidence that would look like convergence.
GALLERY: dict[str, Arena] = {
    arena.name: arena
    for arena in [
        Arena(
            "narrow valley",
            lambda: _started_at(landscapes.quadratic(a=1.0, b=20.0), (-4.5, 1.6)),
            300,
            1e-3,
            "an ill-conditioned quadratic: 20 times steeper across than along",
        ),
        Arena(
            "Rosenbrock",
            landscapes.rosenbrock,
            1500,
            1e-3,
            "a curved valley with a flat floor that bends towards the minimum at (1, 1)",
        ),
        Arena(
            "saddle",
            landscapes.saddle,
            300,
            1e-3,
            "a start almost on the ridge of a saddle point, with minima on either side",
        ),
        Arena(
            "plateau",
            lambda: _started_at(landscapes.plateau(), (3.3, 2.2)),
            300,
            1e-3,
            "a well in a flat plain: gradients about 1e-3 where the runs start",
        ),
        Arena(
            "noisy valley",
            lambda: landscapes.noisy(
                _started_at(landscapes.quadratic(a=1.0, b=20.0), (-4.5, 1.6)),
                noise=2.0,
                rng=0,
                shared=True,  # the sweep steps its learning rates together: the same noise each
            ),
            300,
            0.1,
            "the narrow valley with Gaussian noise (std 2) in every gradient, like minibatches",
        ),
    ]
}


def make_landscape(name: str) -> Landscape:
    """A fresh landscape from the gallery (a noisy one restarts its noise from the same seed)."""
    if name not in GALLERY:
        raise ValueError(f"unknown landscape {name!r}; expected one of {list(GALLERY)}")
    return GALLERY[name].build()


@contextlib.contextmanager
def quiet_numerics() -> Iterator[None]:
    """Silence overflow warnings while a diverging run blows up (the NaN is the message)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def run_all(
    run: Runner,
    landscape_name: str,
    learning_rates: Mapping[str, float],
    num_steps: int | None = None,
    optimizers: Iterable[str] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Run ``run(optimizer_factory(name, lr), landscape, start, num_steps)`` for each optimizer.

    Every optimizer starts from the landscape's start on a fresh copy of the landscape, so on the
    noisy one they all get the same noise sequence. Returns ``{name: trajectory}``.
    """
    arena = GALLERY[landscape_name]
    steps = arena.num_steps if num_steps is None else int(num_steps)
    names = list(optimizers) if optimizers is not None else list(learning_rates)
    paths = {}
    with quiet_numerics():
        for name in names:
            landscape = arena.build()
            start = np.array(landscape.start, dtype=float)
            factory = optimizer_factory(name, learning_rates[name])
            paths[name] = np.asarray(run(factory, landscape, start, steps), dtype=float)
    return paths


def loss_gaps(
    landscape: Landscape, paths: Mapping[str, ArrayLike]
) -> dict[str, NDArray[np.float64]]:
    """For each path, ``f(point) - f(minimum)`` at every step (NaN once a run has diverged)."""
    best = landscape.min_value if landscape.min_value is not None else 0.0
    gaps = {}
    with quiet_numerics():
        for name, path in paths.items():
            points = np.asarray(path, dtype=float)
            gap = landscape.value(points) - best
            gaps[name] = np.where(np.isfinite(gap), gap, np.nan)
    return gaps


def final_gap(gap: ArrayLike, window: int | None = None) -> float:
    """The mean gap over the last ``window`` steps (default: the last tenth, at least 20 steps).

    NaN for a run that diverged: one of those gaps is NaN, infinite or above ``DIVERGED_ABOVE``
    (1e10, far beyond any landscape's starting loss).
    """
    values = np.asarray(gap, dtype=float)
    size = max(20, len(values) // 10) if window is None else window
    values = values[-size:]
    if not np.all(np.isfinite(values)) or np.any(values > DIVERGED_ABOVE):
        return math.nan
    return float(np.mean(values))


@dataclass
class Sweep:
    """Steps to tolerance (-1: never) and final gap for every optimizer and learning rate, and
    each run's path (``path(name, lr)``), so that later experiments reuse a run instead of
    repeating it."""

    landscape: str
    learning_rates: tuple[float, ...]
    steps: dict[str, list[int]]
    final: dict[str, list[float]]
    paths: dict[str, list[NDArray[np.float64]]] = dataclasses.field(default_factory=dict)

    def path(self, name: str, lr: float) -> NDArray[np.float64] | None:
        """The path of ``name`` at ``lr`` if the sweep ran it (same start and steps), else None."""
        for grid_lr, path in zip(self.learning_rates, self.paths.get(name, ()), strict=False):
            if math.isclose(grid_lr, lr, rel_tol=1e-12):
                return path
        return None

    def best(self, name: str) -> tuple[float, int, float]:
        """The learning rate that reaches the tolerance soonest (else the lowest final gap)."""
        scores = []
        for lr, steps, final in zip(
            self.learning_rates, self.steps[name], self.final[name], strict=True
        ):
            reached = steps >= 0
            scores.append(
                (
                    0 if reached else 1,
                    steps if reached else 0,
                    final if math.isfinite(final) else math.inf,
                    lr,
                    steps,
                    final,
                )
            )
        _, _, _, lr, steps, final = min(scores)
        return lr, steps, final


def sweep(
    run: Runner,
    steps_to_tolerance: StepsFunction,
    landscape_name: str,
    learning_rates: Sequence[float] = LEARNING_RATE_GRID,
    optimizers: Iterable[str] = OPTIMIZERS,
) -> Sweep:
    """Run every optimizer at every learning rate on one landscape and score each run.

    Each optimizer's learning rates run side by side: ``run`` gets one start per learning rate,
    stacked into an array of shape ``(len(learning_rates), 2)``, and an optimizer that moves row
    ``k`` with ``learning_rates[k]`` (``RowwiseLearningRates``), so a whole row of the sweep costs
    about as much as one run. A ``run`` that cannot take such a stack (it raises, or returns
    another shape) gets the learning rates one at a time instead.
    """
    arena = GALLERY[landscape_name]
    landscape = arena.build()
    best = landscape.min_value if landscape.min_value is not None else 0.0
    rates = tuple(float(lr) for lr in learning_rates)
    steps: dict[str, list[int]] = {}
    final: dict[str, list[float]] = {}
    paths: dict[str, list[NDArray[np.float64]]] = {}
    for name in optimizers:
        batch = run_side_by_side(run, landscape_name, name, rates)
        if batch is None:
            batch = [run_until_non_finite(run, landscape_name, name, lr) for lr in rates]
        steps[name], final[name], paths[name] = [], [], list(batch)
        for path in paths[name]:
            gap = loss_gaps(landscape, {name: path})[name]
            steps[name].append(int(steps_to_tolerance(gap + best, best, arena.tol)))
            final[name].append(final_gap(gap))
    return Sweep(landscape_name, rates, steps, final, paths)


class RowwiseLearningRates:
    """The library optimizer ``name`` for a stack of runs: row ``k`` of the parameter tensor moves
    with learning rate ``learning_rates[k]``, as if each row had an optimizer of its own.

    None of the showdown's optimizers lets its state depend on the parameters (AdamW's decay acts
    on the parameters only), so one library optimizer at learning rate 1, stepped from zero,
    gives every row's unit step; each row then takes ``theta * (1 - lr * weight_decay) + lr *
    unit_step``, the library's own update for that row up to rounding in the last digits.
    """

    def __init__(self, name: str, learning_rates: Sequence[float], params: list[Any]) -> None:
        import torch  # optimlab imports torch only where it is needed

        (self.params,) = params
        shape = (-1,) + (1,) * (self.params.dim() - 1)
        self.rates = torch.tensor(learning_rates, dtype=self.params.dtype).reshape(shape)
        if self.params.dim() < 1 or len(self.params) != len(self.rates):
            raise ValueError(f"expected one row per learning rate, got {tuple(self.params.shape)}")
        decay = HYPERPARAMETERS[name].get("weight_decay", 0.0)
        self.keep = 1.0 - self.rates * decay if decay else None  # AdamW's decay, row by row
        self.unit_step = torch.zeros_like(self.params, requires_grad=True)
        self.library = optimizer_factory(name, 1.0)([self.unit_step])
        self.param_groups = self.library.param_groups
        self.state = self.library.state

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradient, like ``torch.optim.Optimizer.zero_grad``."""
        self.params.grad = None

    def step(self) -> None:
        """One step of every row, from the gradient in ``params.grad``."""
        import torch

        with torch.no_grad():
            self.unit_step.zero_()
            self.unit_step.grad = self.params.grad
            self.library.step()
            if self.keep is not None:
                self.params.mul_(self.keep)
            self.params.addcmul_(self.rates, self.unit_step)


class _NonFinite(Exception):
    """Raised by a sweep's landscape when asked for a gradient where every run is NaN or inf."""


def _watched(landscape: Landscape, visited: list[NDArray[np.float64]]) -> Landscape:
    """``landscape`` whose ``grad`` records each point and stops the run (raises ``_NonFinite``)
    once every point is NaN or infinite: every optimizer keeps such a point so for good."""

    def grad(point: ArrayLike) -> Any:
        point = np.asarray(point, dtype=float)
        visited.append(point.copy())
        if not np.isfinite(point).all(axis=-1).any():
            raise _NonFinite
        return landscape.grad(point)

    return dataclasses.replace(landscape, grad=grad)


def _stopped_path(visited: list[NDArray[np.float64]], num_steps: int) -> NDArray[np.float64]:
    """The points visited before the stop, then NaN (what loss_gaps makes of them anyway)."""
    path = np.full((num_steps + 1, *visited[0].shape), np.nan)
    path[: len(visited)] = visited
    return path


def run_side_by_side(
    run: Runner, landscape_name: str, name: str, learning_rates: Sequence[float]
) -> list[NDArray[np.float64]] | None:
    """``[run_all(run, landscape_name, {name: lr})[name] for lr in learning_rates]`` from one
    call of ``run`` on a stack of starts (one row per learning rate), or None when ``run`` does
    not handle a stack. A run is stopped once all its points are NaN or infinite."""
    arena = GALLERY[landscape_name]
    landscape = arena.build()
    starts = np.tile(np.array(landscape.start, dtype=float), (len(learning_rates), 1))
    visited: list[NDArray[np.float64]] = []
    expected = (arena.num_steps + 1, *starts.shape)
    with quiet_numerics():
        try:
            path = np.asarray(
                run(
                    lambda params: RowwiseLearningRates(name, learning_rates, params),
                    _watched(landscape, visited),
                    starts.copy(),
                    arena.num_steps,
                ),
                dtype=float,
            )
        except _NonFinite:
            path = _stopped_path(visited, arena.num_steps)
        except Exception:  # noqa: BLE001 (a run written for one point: run them one by one)
            return None
    if path.shape != expected or not np.array_equal(path[0], starts):
        return None
    return [path[:, k] for k in range(len(learning_rates))]


def run_until_non_finite(
    run: Runner, landscape_name: str, name: str, lr: float
) -> NDArray[np.float64]:
    """``run_all(run, landscape_name, {name: lr})[name]``, stopped once the run has left the
    numbers: every optimizer keeps a NaN or infinite point NaN or infinite for good, so the rest
    of the path is NaN (what loss_gaps makes of it anyway) and the run is not continued."""
    arena = GALLERY[landscape_name]
    landscape = arena.build()
    visited: list[NDArray[np.float64]] = []
    start = np.array(landscape.start, dtype=float)
    factory = optimizer_factory(name, lr)
    with quiet_numerics():
        try:
            return np.asarray(
                run(factory, _watched(landscape, visited), start, arena.num_steps), dtype=float
            )
        except _NonFinite:
            return _stopped_path(visited, arena.num_steps)


def best_learning_rates(sweeps: Mapping[str, Sweep]) -> dict[str, dict[str, float]]:
    """``{landscape: {optimizer: best learning rate}}`` from a sweep per landscape."""
    return {land: {name: s.best(name)[0] for name in s.steps} for land, s in sweeps.items()}


def format_steps(steps: int) -> str:
    """Steps to tolerance for a table: the number, or 'never' for -1."""
    return "never" if steps < 0 else str(steps)


def format_lr(lr: float) -> str:
    """A learning rate, short: 0.0316 -> '3e-2', 1e-4 -> '1e-4', 1.0 -> '1'."""
    mantissa, exponent = f"{lr:.0e}".split("e")
    return mantissa if int(exponent) == 0 else f"{mantissa}e{int(exponent)}"


def format_gap(gap: float) -> str:
    """A loss gap for a table: '1.2e-03', or 'diverged' for NaN."""
    return "diverged" if not math.isfinite(gap) else f"{gap:.1e}"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table (show it with ``IPython.display.Markdown``)."""
    lines = ["| " + " | ".join(str(h) for h in header) + " |"]
    lines.append("| " + " | ".join("---" for _ in header) + " |")
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def drawable(path: ArrayLike, landscape: Landscape, margin: float = 3.0) -> NDArray[np.float64]:
    """A copy of a path a plot can show: cut at its first NaN/inf point, clipped near the view."""
    points = np.array(path, dtype=float, copy=True).reshape(-1, 2)
    finite = np.isfinite(points).all(axis=1)
    if not finite.all():
        points = points[: max(int(np.argmin(finite)), 1)]
    (x0, x1), (y0, y1) = landscape.xlim, landscape.ylim
    wide_x, wide_y = margin * (x1 - x0), margin * (y1 - y0)
    points[:, 0] = np.clip(points[:, 0], x0 - wide_x, x1 + wide_x)
    points[:, 1] = np.clip(points[:, 1], y0 - wide_y, y1 + wide_y)
    return points


def for_log_plot(gap: ArrayLike, floor: float = 1e-16) -> tuple[NDArray[np.float64], bool]:
    """A loss-gap curve ready for a log axis, and whether the run blew up.

    Gaps below ``floor`` (exact zeros included) are raised to it; from the first NaN, infinite or
    huge (above ``DIVERGED_ABOVE``) gap on, the curve is cut, so one diverging run cannot stretch
    the axis over hundreds of decades.
    """
    values = np.clip(np.asarray(gap, dtype=float), floor, None)
    bad = ~(values <= DIVERGED_ABOVE)  # NaN compares False: NaN is bad too
    if bad.any():
        values = values.copy()
        values[int(np.argmax(bad)) :] = np.nan
    return values, bool(bad.any())


def _log_curves(gaps: Mapping[str, ArrayLike], floor: float) -> dict[str, NDArray[np.float64]]:
    curves = {}
    for label, gap in gaps.items():
        values, blew_up = for_log_plot(gap, floor)
        curves[f"{label}, blew up" if blew_up else label] = values
    return curves


def plot_race(
    landscape: Landscape,
    paths: Mapping[str, ArrayLike],
    axes: Sequence[Axes] | None = None,
    name: str | None = None,
    floor: float = 1e-16,
) -> tuple[Axes, Axes]:
    """Paths over the contours (left) and the loss gap per step on a log scale (right).

    ``name`` (default: the landscape's) starts both titles. A run that blows up is cut where it
    leaves the view (paths) or passes ``DIVERGED_ABOVE`` (loss), and its label says so.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    ax_map, ax_loss = axes
    name = name or landscape.name
    shown = {label: drawable(path, landscape) for label, path in paths.items()}
    plot_paths(landscape, shown, ax=ax_map, title=f"{name}: paths")
    plot_curves(
        _log_curves(loss_gaps(landscape, paths), floor),
        ax=ax_loss,
        xlabel="step",
        ylabel="loss gap f(x, y) - f(minimum)  (log scale)",
        title=f"{name}: loss gap per step",
    )
    return ax_map, ax_loss


def plot_gap_panels(
    gaps_by_landscape: Mapping[str, Mapping[str, ArrayLike]],
    tolerances: Mapping[str, float] | None = None,
    ncols: int = 3,
    floor: float = 1e-16,
    suptitle: str | None = None,
) -> Any:
    """One loss-gap panel per landscape, the same optimizers (and styles) in each."""
    count = len(gaps_by_landscape)
    nrows = math.ceil(count / ncols)
    fig, grid = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False)
    for ax, (land, gaps) in zip(grid.flat, gaps_by_landscape.items(), strict=False):
        plot_curves(
            _log_curves(gaps, floor),
            ax=ax,
            xlabel="step",
            ylabel="loss gap (log scale)",
            title=land,
        )
        if tolerances and land in tolerances:
            ax.axhline(tolerances[land], color="grey", linewidth=0.8, linestyle=":")
        ax.legend(loc="lower left", fontsize="x-small")
    for ax in list(grid.flat)[count:]:
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_sweep(sweeps: Mapping[str, Sweep], ncols: int = 3, floor: float = 1e-12) -> Any:
    """Heat maps of the final loss gap over (learning rate, optimizer), one per landscape.

    Each cell is annotated with the steps to tolerance ('-' for never, 'x' for a diverged run).
    Darker means a smaller final gap; the colour scale is viridis, readable in greyscale.
    """
    count = len(sweeps)
    nrows = math.ceil(count / ncols)
    fig, grid = plt.subplots(
        nrows, ncols, figsize=(5.4 * ncols, 3.6 * nrows), squeeze=False, layout="constrained"
    )
    image = None
    for ax, (land, result) in zip(grid.flat, sweeps.items(), strict=False):
        names = list(result.steps)
        finals = np.array([result.final[n] for n in names], dtype=float)
        logs = np.log10(np.clip(np.where(np.isfinite(finals), finals, np.nan), floor, None))
        image = ax.imshow(
            np.where(np.isfinite(finals), logs, np.nan),
            cmap="viridis",
            vmin=math.log10(floor),
            vmax=1.0,
            aspect="auto",
        )
        for i, name in enumerate(names):
            for j, steps in enumerate(result.steps[name]):
                diverged = not math.isfinite(result.final[name][j])
                text = "x" if diverged else ("-" if steps < 0 else str(steps))
                shade = logs[i, j] if not diverged else 0.0
                colour = "white" if shade < -4 else "black"
                ax.text(j, i, text, ha="center", va="center", fontsize=7.5, color=colour)
        ax.set_xticks(range(len(result.learning_rates)))
        ax.set_xticklabels([format_lr(lr) for lr in result.learning_rates])
        ax.tick_params(axis="x", labelsize=7, rotation=45)
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names, fontsize=8)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("optimizer")
        ax.set_title(f"{land} (tol {GALLERY[land].tol:g})", fontsize=10)
    for ax in list(grid.flat)[count:]:
        ax.axis("off")
    if image is not None:
        bar = fig.colorbar(image, ax=list(grid.flat), shrink=0.6)
        bar.set_label("log10(final loss gap); white cells: diverged")
    fig.suptitle("Learning-rate sweep: numbers are steps to tolerance ('-' never, 'x' diverged)")
    return fig


__all__ = [
    "GALLERY",
    "HYPERPARAMETERS",
    "LEARNING_RATE_GRID",
    "OPTIMIZERS",
    "SEED_LEARNING_RATES",
    "Arena",
    "RowwiseLearningRates",
    "Sweep",
    "DIVERGED_ABOVE",
    "best_learning_rates",
    "drawable",
    "for_log_plot",
    "final_gap",
    "format_gap",
    "format_lr",
    "format_steps",
    "loss_gaps",
    "make_landscape",
    "markdown_table",
    "optimizer_factory",
    "plot_gap_panels",
    "plot_race",
    "plot_sweep",
    "quiet_numerics",
    "run_all",
    "run_side_by_side",
    "sweep",
]
