"""Optimizer paths that move together, as an HTML/JavaScript animation.

``animate_paths`` draws the landscape once and then the paths growing step by step, and returns
the animation as HTML with its frames embedded (matplotlib's ``to_jshtml``). It plays with the
play/pause/step buttons in JupyterLab, Binder, classic Jupyter and an exported HTML file, needs
no ffmpeg and no widgets, and is produced the same way when a notebook runs headless.
Keep it small: a few dozen frames at a low resolution are a few hundred kilobytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from numpy.typing import ArrayLike, NDArray

from .landscapes import Landscape
from .plotting import line_style, plot_contours
from .showdown import drawable


def frame_steps(num_steps: int, frames: int, spacing: str = "linear") -> NDArray[np.int64]:
    """The step shown in each frame: 0 first, ``num_steps`` last, at most ``frames`` in all.

    ``spacing="log"`` puts more frames early, where most optimizers move the most.
    """
    if num_steps < 0 or frames < 1:
        raise ValueError(f"need num_steps >= 0 and frames >= 1, got {num_steps}, {frames}")
    if spacing == "linear":
        steps = np.linspace(0, num_steps, frames)
    elif spacing == "log":
        steps = np.concatenate([[0], np.geomspace(1, max(num_steps, 1), max(frames - 1, 1))])
    else:
        raise ValueError(f"spacing is 'linear' or 'log', got {spacing!r}")
    return np.unique(np.clip(np.round(steps), 0, num_steps).astype(np.int64))


def paths_to_jshtml(
    landscape: Landscape,
    paths: Mapping[str, ArrayLike],
    *,
    frames: int = 30,
    spacing: str = "linear",
    interval_ms: int = 150,
    dpi: int = 65,
    figsize: tuple[float, float] = (6.0, 4.2),
    title: str | None = None,
    frame_format: str = "jpeg",
) -> str:
    """The animation of ``paths`` (each of shape (steps+1, 2)) over the contours, as HTML.

    Frames are JPEG by default (about a third of the size of PNG for these plots); pass
    ``frame_format="png"`` for crisper lines. The play buttons are Unicode symbols, so they show
    without the icon font that matplotlib's template loads from the internet.
    """
    if not paths:
        raise ValueError("no paths to animate")
    shown = {name: drawable(path, landscape) for name, path in paths.items()}
    num_steps = max(len(np.asarray(p).reshape(-1, 2)) for p in paths.values()) - 1
    steps = frame_steps(num_steps, frames, spacing)

    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    plot_contours(landscape, ax=ax, resolution=90, levels=18)
    first = next(iter(shown.values()))
    ax.plot(*first[0], marker="o", color="black", markersize=7, linestyle="none", label="start")
    styles = [line_style(index) for index in range(len(shown))]
    for style, name in zip(styles, shown, strict=True):
        ax.plot([], [], color=style["color"], linestyle=style["linestyle"], label=name)
    ax.legend(loc="upper right", fontsize="x-small", ncols=2)
    ax.set_title(title or f"{landscape.name}: every optimizer from the same start")
    fig.tight_layout()

    # Draw the still parts (contours, axes, legend) once and keep them as a picture: each frame
    # then draws only the paths over it, several times faster than redrawing everything.
    fig.canvas.draw()
    background = np.asarray(fig.canvas.buffer_rgba()).copy()
    bounds, xlim, ylim = ax.get_position().bounds, ax.get_xlim(), ax.get_ylim()
    fig.clear()
    still = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    still.imshow(background, interpolation="none", aspect="auto")
    still.set_axis_off()
    overlay = fig.add_axes(bounds)
    overlay.set_xlim(xlim)
    overlay.set_ylim(ylim)
    overlay.set_axis_off()
    lines, heads = [], []
    for style in styles:
        (line,) = overlay.plot(
            [], [], color=style["color"], linestyle=style["linestyle"], linewidth=1.6
        )
        (head,) = overlay.plot(
            [], [], color=style["color"], marker=style["marker"], markersize=7, linestyle="none"
        )
        lines.append(line)
        heads.append(head)
    label = overlay.text(
        0.02,
        0.04,
        "",
        transform=overlay.transAxes,
        fontsize=9,
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
    )

    def update(frame: int) -> list[Any]:
        step = int(steps[frame])
        for line, head, points in zip(lines, heads, shown.values(), strict=True):
            upto = min(step, len(points) - 1)
            line.set_data(points[: upto + 1, 0], points[: upto + 1, 1])
            head.set_data([points[upto, 0]], [points[upto, 1]])
        label.set_text(f"step {step} of {num_steps}")
        return [*lines, *heads, label]

    animation = FuncAnimation(fig, update, frames=len(steps), interval=interval_ms, blit=False)
    try:
        with plt.rc_context({"animation.frame_format": frame_format}):
            html = animation.to_jshtml(default_mode="once")
    finally:
        plt.close(fig)
    return offline_buttons(html)


# matplotlib's player draws its buttons with Font Awesome icons fetched from a CDN: offline (a
# classroom, an exam) they would be blank. Unicode symbols work everywhere.
_ICONS = {
    "fa fa-minus": "&minus;",
    "fa fa-fast-backward": "&#9198;",
    "fa fa-step-backward": "&#9664;&#9646;",
    "fa fa-play fa-flip-horizontal": "&#9664;",
    "fa fa-pause": "&#9208;",
    "fa fa-play": "&#9654;",
    "fa fa-step-forward": "&#9646;&#9654;",
    "fa fa-fast-forward": "&#9197;",
    "fa fa-plus": "+",
}


def offline_buttons(html: str) -> str:
    """Replace the player's icon-font buttons and the stylesheet link by Unicode symbols."""
    html = re.sub(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">', "", html)
    for icon, symbol in _ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', symbol)
    return html


def animate_paths(landscape: Landscape, paths: Mapping[str, ArrayLike], **options: Any) -> Any:
    """Show the paths moving together: an ``IPython.display.HTML`` (see ``paths_to_jshtml``)."""
    from IPython.display import HTML

    return HTML(paths_to_jshtml(landscape, paths, **options))
