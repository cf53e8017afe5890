"""The first five minutes, without a browser: what a missing package or missing widgets show.

tests/test_browser.py checks the same things as a student sees them in JupyterLab; these run
everywhere, fast, and cover every notebook.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grading.course import RELEASE, REPO_ROOT, SOLUTIONS
from optimlab import widgets

ALL_NOTEBOOKS = sorted(p for root in (SOLUTIONS, RELEASE) for p in root.glob("*/*.ipynb"))


class HideOptimlab:
    """An import hook that makes optimlab look uninstalled, exactly as Python reports that."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        top = name.partition(".")[0]
        if top == "optimlab":
            raise ModuleNotFoundError(f"No module named {top!r}", name=top)


def setup_cell(path: Path) -> str:
    """The notebook's set-up cell: the first code cell that catches a missing package."""
    notebook = nbformat.read(path, as_version=4)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    found = [i for i, source in enumerate(code) if "except ModuleNotFoundError" in source]
    assert found and found[0] < 3, f"{path.name}: no set-up cell that catches ModuleNotFoundError"
    return code[found[0]]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_setup_cell_explains_a_missing_course_package(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without optimlab, the set-up cell raises one short, unchained error that says what to do."""
    source = "\n".join(
        line for line in setup_cell(path).splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    for name in [m for m in sys.modules if m == "optimlab" or m.startswith("optimlab.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [HideOptimlab(), *sys.meta_path])
    with pytest.raises(ModuleNotFoundError) as raised:
        exec(compile(source, str(path), "exec"), {"__name__": "__main__"})
    message = str(raised.value)
    assert "'optimlab' is not installed" in message, message
    assert "Change Kernel" in message and "README" in message, message
    assert raised.value.__suppress_context__, "the original traceback is chained below the message"


def _run(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    """Execute a one-cell notebook in a real kernel, with widgets allowed."""
    for variable in (widgets.STATIC_ENV, "NBGRADER_EXECUTION", "MPLBACKEND"):
        monkeypatch.delenv(variable, raising=False)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    return notebook


DRAW = """
%matplotlib inline
import matplotlib.pyplot as plt
from optimlab.widgets import int_slider, interactive_plot, log_slider

def draw(lr, steps):
    print(f"drawing lr={lr} steps={steps}")
    fig, ax = plt.subplots()
    ax.plot(range(steps), [lr * k for k in range(steps)])
    ax.set(xlabel="step", ylabel="value", title="a test plot")

interactive_plot(draw, lr=log_slider(0.1, 1e-3, 1.0, "lr"), steps=int_slider(5, 2, 20, "steps"))
"""


@pytest.mark.slow
def test_widget_is_shown_once_with_a_static_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One output: the widget view, plus a static picture and a note for front ends without it."""
    outputs = _run(DRAW, tmp_path, monkeypatch).cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"], outputs
    data = outputs[0].data
    assert "application/vnd.jupyter.widget-view+json" in data
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    page = data["text/html"]
    assert 'class="optimlab-static-fallback"' in page and "data:image/png;base64," in page
    assert "drawing lr=0.1 steps=5" in page, "what draw printed is missing from the fallback"
    assert (
        "lr = 0.1, steps = 5" in data["text/plain"] and "jupyterlab_widgets" in data["text/plain"]
    )


@pytest.mark.slow
def test_widget_cell_stops_at_an_unfinished_exercise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draw function that hits a stub raises in the cell, as it does headless."""
    source = DRAW.replace('    print(f"drawing', '    raise NotImplementedError()\n    print(f"')
    outputs = _run(source, tmp_path, monkeypatch).cells[0].outputs
    assert [(o.output_type, o.get("ename")) for o in outputs] == [
        ("error", "NotImplementedError")
    ], outputs


def test_static_fallback_bundle_keeps_the_widget_view() -> None:
    snapshot = widgets.Snapshot("a line\n", (b"\x89PNG fake",))
    bundle = {"text/plain": "VBox(...)", "application/vnd.jupyter.widget-view+json": {"id": 1}}
    rich = widgets.with_static_fallback(bundle, snapshot, {"lr": 0.5})
    assert rich["application/vnd.jupyter.widget-view+json"] == {"id": 1}
    assert "VBox" not in rich["text/plain"] and "lr = 0.5" in rich["text/plain"]
    assert rich["text/html"].count("<img ") == 1 and "<pre>a line\n</pre>" in rich["text/html"]
    assert base64.b64decode(rich["image/png"]) == b"\x89PNG fake"
