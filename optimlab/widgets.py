"""Sliders and dropdowns that redraw a plot, with a static fallback for headless runs.

Notebooks describe their controls with ``log_slider``, ``int_slider`` and ``dropdown`` and hand
a drawing function to ``interactive_plot``. In JupyterLab the controls redraw the plot; where
widgets cannot work (nbgrader, CI, an export, ipywidgets missing) the plot is drawn once with
the default values, as an ordinary image, with a note saying how to get the controls.

A third case is a kernel that has ipywidgets but a front end that cannot show them (JupyterLab
without the ``jupyterlab_widgets`` extension, an HTML export, an untrusted notebook reopened
later). A front end shows the richest format of an output that it can render, so the widget is
displayed with a static fallback beside it in the same output: an HTML picture of the plot with
the default settings and a note, plus the PNG alone for exporters that skip HTML. Where the
widget renders, the fallback is never shown.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt

STATIC_ENV = "OPTIMLAB_STATIC"


@dataclass(frozen=True)
class Control:
    """A control's kind, default value and range (or options); turned into a widget on demand."""

    kind: str
    value: Any
    description: str
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    options: Sequence[Any] = ()


def log_slider(value: float, low: float, high: float, description: str) -> Control:
    """A slider over powers of ten, for learning rates and other scale parameters."""
    return Control("log", value, description, low=low, high=high)


def float_slider(value: float, low: float, high: float, step: float, description: str) -> Control:
    """A slider over evenly spaced numbers, for momentum coefficients and the like."""
    return Control("float", value, description, low=low, high=high, step=step)


def int_slider(value: int, low: int, high: int, description: str, step: int = 1) -> Control:
    """A slider over whole numbers, for step counts."""
    return Control("int", value, description, low=low, high=high, step=step)


def dropdown(options: Sequence[Any], value: Any, description: str) -> Control:
    """A choice among named options."""
    return Control("dropdown", value, description, options=tuple(options))


def multi_select(options: Sequence[Any], value: Sequence[Any], description: str) -> Control:
    """A choice of several named options at once (the draw function gets a tuple of them)."""
    return Control("multi", tuple(value), description, options=tuple(options))


def widgets_available() -> bool:
    """True when controls can be shown: ipywidgets is installed and no static run was asked for."""
    if os.environ.get(STATIC_ENV) or os.environ.get("NBGRADER_EXECUTION"):
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def _make_widget(control: Control) -> Any:
    import ipywidgets as w

    style = {"description_width": "initial"}
    layout = w.Layout(width="420px")
    if control.kind == "log":
        return w.FloatLogSlider(
            value=control.value,
            base=10,
            min=math.log10(control.low),
            max=math.log10(control.high),
            step=0.05,
            description=control.description,
            readout_format=".2e",
            continuous_update=False,
            style=style,
            layout=layout,
        )
    if control.kind == "float":
        return w.FloatSlider(
            value=control.value,
            min=control.low,
            max=control.high,
            step=control.step,
            description=control.description,
            continuous_update=False,
            style=style,
            layout=layout,
        )
    if control.kind == "int":
        return w.IntSlider(
            value=control.value,
            min=int(control.low),
            max=int(control.high),
            step=int(control.step),
            description=control.description,
            continuous_update=False,
            style=style,
            layout=layout,
        )
    if control.kind == "dropdown":
        return w.Dropdown(
            options=list(control.options),
            value=control.value,
            description=control.description,
            style=style,
        )
    if control.kind == "multi":
        return w.SelectMultiple(
            options=list(control.options),
            value=tuple(control.value),
            rows=min(len(control.options), 8),
            description=control.description,
            style=style,
        )
    raise ValueError(f"unknown control kind {control.kind!r}")


def interactive_plot(draw: Callable[..., Any], **controls: Control) -> None:
    """Show controls that redraw ``draw(**values)``; draw once with the defaults when headless.

    The plot with the default values is drawn once, before any control is shown: if ``draw``
    raises (an exercise not done yet), the cell stops with that error, as it does headless.
    Returns None, so that a call on a cell's last line does not show the controls twice.
    """
    defaults = {name: control.value for name, control in controls.items()}
    if not widgets_available():
        draw(**defaults)
        plt.show()
        print(STATIC_NOTE)
        return None

    import ipywidgets as w
    from IPython.display import Image, display

    snapshot = render_snapshot(draw, defaults)
    widgets = {name: _make_widget(control) for name, control in controls.items()}
    output = w.Output()
    # Straight into the widget's state: where widgets do not render, nothing shows up twice.
    if snapshot.text:
        output.append_stdout(snapshot.text)
    for picture in snapshot.pictures:
        output.append_display_data(Image(data=picture, format="png"))

    def redraw(change: Any = None) -> None:
        with output:
            output.clear_output(wait=True)
            draw(**{name: widget.value for name, widget in widgets.items()})
            plt.show()

    for widget in widgets.values():
        widget.observe(redraw, names="value")
    box = w.VBox([w.HBox(list(widgets.values()), layout=w.Layout(flex_flow="row wrap")), output])
    display(with_static_fallback(box._repr_mimebundle_(), snapshot, defaults), raw=True)
    return None


STATIC_NOTE = (
    "(A static plot with the default settings: open this notebook in JupyterLab "
    "to move the sliders.)"
)
FALLBACK_NOTE = (
    "The sliders for this plot could not be shown here, so this is a static picture with the "
    "default settings ({settings}). Interactive controls need JupyterLab (or Jupyter Notebook 7) "
    "with the ipywidgets extension, jupyterlab_widgets, installed in the environment that runs "
    "JupyterLab; reload the page after installing it and run the cell again."
)


@dataclass(frozen=True)
class Snapshot:
    """What one call of a drawing function showed: its printed text and its figures as PNG."""

    text: str
    pictures: tuple[bytes, ...]


def render_snapshot(draw: Callable[..., Any], values: dict[str, Any]) -> Snapshot:
    """Call ``draw(**values)``, keep what it prints and its new figures (as PNG), close them."""
    before = set(plt.get_fignums())
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        draw(**values)
    pictures = []
    for number in plt.get_fignums():
        if number in before:
            continue
        figure = plt.figure(number)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(figure)
        pictures.append(buffer.getvalue())
    return Snapshot(printed.getvalue(), tuple(pictures))


def with_static_fallback(
    bundle: dict[str, Any], snapshot: Snapshot, values: dict[str, Any]
) -> dict[str, Any]:
    """A widget's display bundle plus what a front end without widgets shows instead.

    ``text/html``: the printed text, the pictures and a note; ``image/png``: the first picture
    alone, for exporters that skip HTML; ``text/plain``: the note. A front end that renders
    widgets always prefers the widget view.
    """
    settings = ", ".join(f"{name} = {value!r}" for name, value in values.items())
    note = FALLBACK_NOTE.format(settings=settings)
    alt = html.escape(f"plot with the default settings ({settings})")
    encoded = [base64.b64encode(picture).decode("ascii") for picture in snapshot.pictures]
    text = f"<pre>{html.escape(snapshot.text)}</pre>" if snapshot.text else ""
    images = "".join(f'<img src="data:image/png;base64,{data}" alt="{alt}"/>' for data in encoded)
    rich = dict(bundle)
    rich["text/html"] = (
        f'<div class="optimlab-static-fallback">{text}{images}'
        f"<p><em>{html.escape(note)}</em></p></div>"
    )
    if encoded:
        rich["image/png"] = encoded[0]
    rich["text/plain"] = note
    return rich
