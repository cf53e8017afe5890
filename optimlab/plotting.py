"""Plots the notebooks share: contour maps with optimizer paths, and loss curves.

Every line gets a colour from the Okabe-Ito palette (safe for colour-blind readers) *and* its own
line style and marker, so plots stay readable in greyscale. Every plot gets axis labels and a title.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from numpy.typing import ArrayLike

from .landscapes import Landscape

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour deficiency.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def line_style(index: int) -> dict[str, Any]:
    """Colour, line style and marker for the index-th line of a plot."""
    return {
        "color": PALETTE[index % len(PALETTE)],
        "linestyle": LINESTYLES[index % len(LINESTYLES)],
        "marker": MARKERS[index % len(MARKERS)],
    }


def _grid(landscape: Landscape, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.linspace(*landscape.xlim, resolution)
    ys = np.linspace(*landscape.ylim, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return grid_x, grid_y, landscape.value(np.stack([grid_x, grid_y], axis=-1))


def plot_contours(
    landscape: Landscape, ax: Axes | None = None, resolution: int = 200, levels: int = 25
) -> Axes:
    """Draw the landscape's contour lines (log-spaced where the loss spans decades)."""
    ax = ax if ax is not None else plt.subplots(figsize=(6.4, 4.4))[1]
    grid_x, grid_y, values = _grid(landscape, resolution)
    if landscape.log_levels:
        shifted = values - values.min() + 1e-3
        bounds = np.geomspace(shifted.min(), shifted.max(), levels)
        ax.contour(grid_x, grid_y, shifted, levels=bounds, norm=LogNorm(), cmap="Greys", alpha=0.7)
    else:
        ax.contour(grid_x, grid_y, values, levels=levels, cmap="Greys", alpha=0.7)
    if landscape.minimum is not None:
        ax.plot(
            *landscape.minimum,
            marker="*",
            color="black",
            markersize=14,
            linestyle="none",
            label="minimum",
        )
    ax.set_xlim(*landscape.xlim)
    ax.set_ylim(*landscape.ylim)
    ax.set_xlabel("$x$ (first parameter)")
    ax.set_ylabel("$y$ (second parameter)")
    ax.set_title(landscape.name)
    return ax


def plot_paths(
    landscape: Landscape,
    paths: Mapping[str, ArrayLike],
    ax: Axes | None = None,
    title: str | None = None,
    max_markers: int = 40,
) -> Axes:
    """Contours of the landscape with one line per optimizer path (arrays of shape (steps+1, 2))."""
    ax = plot_contours(landscape, ax=ax)
    for index, (label, path) in enumerate(paths.items()):
        points = np.asarray(path, dtype=float)
        style = line_style(index)
        every = max(1, len(points) // max_markers)
        ax.plot(
            points[:, 0],
            points[:, 1],
            label=label,
            markevery=every,
            markersize=4,
            linewidth=1.6,
            **style,
        )
    ax.plot(
        *np.asarray(next(iter(paths.values())))[0],
        marker="o",
        color="black",
        markersize=7,
        linestyle="none",
        label="start",
    )
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_curves(
    curves: Mapping[str, ArrayLike],
    *,
    xlabel: str,
    ylabel: str,
    title: str,
    ax: Axes | None = None,
    logy: bool = True,
    x: Sequence[float] | Mapping[str, ArrayLike] | None = None,
    max_markers: int = 12,
) -> Axes:
    """One line per named curve (loss per step), readable in greyscale and colour-blind views."""
    ax = ax if ax is not None else plt.subplots(figsize=(6.4, 4.0))[1]
    for index, (label, values) in enumerate(curves.items()):
        ys = np.asarray(values, dtype=float)
        if isinstance(x, Mapping):
            xs = np.asarray(x[label], dtype=float)
        elif x is not None:
            xs = np.asarray(x, dtype=float)
        else:
            xs = np.arange(len(ys))
        every = max(1, len(ys) // max_markers)
        ax.plot(
            xs, ys, label=label, markevery=every, markersize=5, linewidth=1.6, **line_style(index)
        )
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return ax
