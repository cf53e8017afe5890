"""Sliders and dropdowns that redraw a plot, with a static fallback for headless runs.

Notebooks describe their controls with ``log_slider``, ``int_slider`` and ``dropdown`` and hand
a drawing function to ``interactive_plot``. In JupyterLab the controls redraw the plot; where
widgets cannot work (nbgrader, CI, an export, ipywidgets missing) the plot is drawn once with
the default values, as an ordinary image, with a note saying how to get the controls.
"""

from __future__ import annotations

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


def interactive_plot(draw: Callable[..., Any], **controls: Control) -> Any:
    """Show controls that redraw ``draw(**values)``; draw once with the defaults when headless."""
    defaults = {name: control.value for name, control in controls.items()}
    if not widgets_available():
        draw(**defaults)
        plt.show()
        print(
            "(A static plot with the default settings: open this notebook in JupyterLab "
            "to move the sliders.)"
        )
        return None

    import ipywidgets as w
    from IPython.display import display

    widgets = {name: _make_widget(control) for name, control in controls.items()}
    output = w.interactive_output(_show(draw), widgets)
    box = w.VBox([w.HBox(list(widgets.values()), layout=w.Layout(flex_flow="row wrap")), output])
    display(box)
    return box


def _show(draw: Callable[..., Any]) -> Callable[..., None]:
    def redraw(**values: Any) -> None:
        draw(**values)
        plt.show()

    return redraw
