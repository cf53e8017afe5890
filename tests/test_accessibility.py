"""Every plot a notebook shows is readable without colour: labels, a title, distinct line styles.

Each instructor notebook runs with a hook on matplotlib's ``FigureCanvasBase.print_figure``, the
call through which every figure a notebook shows becomes a picture (inline plots, the static
widget fallback, animation frames). For each axes that holds data the hook records what a reader
who cannot tell colours apart would miss:

- an empty x label, y label or title (panels sharing an axis may label it once, a twin axes
  may share its partner's x label and title, and a figure with a single plot may carry its
  title as the figure's suptitle);
- two labelled lines (two or more points each) with the same line style, the same marker and
  about the same width (less than 1.5 times apart), so that only their colour tells them apart.

Axes with their axis switched off (pictures such as MNIST digits) and colour bars are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import assignments, notebook_path

HOOK = r"""
import json as _json
import math as _math
from matplotlib.backend_bases import FigureCanvasBase as _Canvas
from IPython import get_ipython as _get_ipython

_A11Y_FINDINGS, _A11Y_SEEN, _A11Y_CELL = [], set(), [""]
_get_ipython().events.register(
    "pre_run_cell", lambda info: _A11Y_CELL.__setitem__(0, info.raw_cell)
)


def _a11y_style(line):
    # Line widths count when one is at least 1.5 times another (a thin noisy line under a
    # thick trend line reads fine in greyscale), so they are binned in steps of that ratio.
    width = round(_math.log(max(line.get_linewidth(), 0.1), 1.5))
    dashes = repr(getattr(line, "_dash_pattern", None))
    return (line.get_linestyle(), dashes, line.get_marker(), width)


def _a11y_label(ax, which):
    # The axis label, or that of a panel sharing this axis (sharex/sharey leave one label).
    shared = getattr(ax, f"get_shared_{which}_axes")().get_siblings(ax)
    return any(getattr(other, f"get_{which}label")().strip() for other in shared)


def _a11y_check(figure):
    groups = {}
    for ax in figure.get_axes():
        if not ax.get_visible() or not ax.axison or ax.get_label() == "<colorbar>":
            continue
        if not (ax.lines or ax.collections or ax.images or ax.patches or ax.containers):
            continue
        groups.setdefault(tuple(round(v, 3) for v in ax.get_position().bounds), []).append(ax)
    for axes in groups.values():
        title = next((t for ax in axes for loc in ("center", "left", "right")
                      if (t := ax.get_title(loc=loc).strip())), "")
        suptitle = figure._suptitle.get_text().strip() if figure._suptitle else ""
        if not title and len(groups) == 1:
            title = suptitle  # a figure with one plot may carry its title above the figure
        where = title or suptitle or "(untitled)"
        problems = []
        if not title:
            problems.append("no title")
        if not any(_a11y_label(ax, "x") for ax in axes):
            problems.append("no x label")
        for ax in axes:
            if not _a11y_label(ax, "y"):
                problems.append("no y label")
        styles = {}
        for ax in axes:
            for line in ax.get_lines():
                label = line.get_label()
                if line.get_visible() and len(line.get_xdata()) >= 2 and not label.startswith("_"):
                    styles.setdefault(_a11y_style(line), []).append(label)
        for labels in styles.values():
            if len(labels) > 1:
                problems.append(f"lines {labels} differ only in colour")
        if problems:
            _A11Y_FINDINGS.append({"cell": _A11Y_CELL[0], "plot": where, "problems": problems})


_a11y_print_figure = _Canvas.print_figure


def _a11y_hooked_print_figure(self, *args, **kwargs):
    key = (id(self.figure), _A11Y_CELL[0])
    if key not in _A11Y_SEEN:
        _A11Y_SEEN.add(key)
        _a11y_check(self.figure)
    return _a11y_print_figure(self, *args, **kwargs)


_Canvas.print_figure = _a11y_hooked_print_figure
"""
REPORT = 'open({path!r}, "w").write(_json.dumps(_A11Y_FINDINGS))'


def plot_findings(path: Path, report: Path) -> list[dict]:
    """Run the notebook with the hook; what it found, one entry per plot with a problem."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(HOOK))
    notebook.cells.append(nbformat.v4.new_code_cell(REPORT.format(path=str(report))))
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in {"OPTIMLAB_STATIC": "1", "OPTIMLAB_FAST": "1"}.items():
            patch.setenv(variable, value)
        patch.setenv("MPLBACKEND", "agg")
        NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    errors = [o for o in notebook.cells[0].outputs + notebook.cells[-1].outputs if "ename" in o]
    assert not errors, f"the plot hook failed: {errors}"
    return json.loads(report.read_text())


def describe(notebook: nbformat.NotebookNode, findings: list[dict]) -> str:
    sources = [c.source for c in notebook.cells]
    lines = []
    for finding in findings:
        index = sources.index(finding["cell"]) if finding["cell"] in sources else "?"
        lines.append(f"  cell {index}, plot {finding['plot']!r}: {'; '.join(finding['problems'])}")
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", assignments())
def test_every_plot_is_readable_without_colour(assignment: str, tmp_path: Path) -> None:
    path = notebook_path(assignment)
    findings = plot_findings(path, tmp_path / "findings.json")
    notebook = nbformat.read(path, as_version=4)
    assert not findings, f"{assignment}: plots that need colour or lack labels:\n" + describe(
        notebook, findings
    )
