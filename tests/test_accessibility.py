"""Every plot a notebook shows is readable without colour: labels, a title, distinct line styles.

Each instructor notebook runs once per test run (``notebook_runs`` in tests/conftest.py, the same
run that tests/test_notebooks.py checks) with a hook on matplotlib's
``FigureCanvasBase.print_figure``, the call through which every figure a notebook shows becomes a
picture (inline plots, the static widget fallback, animation frames). The hook (``A11Y_HOOK`` in
the conftest) records, for each axes that holds data, what a reader who cannot tell colours apart
would miss:

- an empty x label, y label or title (panels sharing an axis may label it once, a twin axes
  may share its partner's x label and title, and a figure with a single plot may carry its
  title as the figure's suptitle);
- two labelled lines (two or more points each) with the same line style, the same marker and
  about the same width (less than 1.5 times apart), so that only their colour tells them apart.

Axes with their axis switched off (pictures such as MNIST digits) and colour bars are skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import nbformat
import pytest

from grading.course import assignments

if TYPE_CHECKING:
    from conftest import NotebookRuns


def describe(notebook: nbformat.NotebookNode, findings: list[dict]) -> str:
    sources = [c.source for c in notebook.cells]
    lines = []
    for finding in findings:
        index = sources.index(finding["cell"]) if finding["cell"] in sources else "?"
        lines.append(f"  cell {index}, plot {finding['plot']!r}: {'; '.join(finding['problems'])}")
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", assignments())
def test_every_plot_is_readable_without_colour(
    assignment: str, notebook_runs: NotebookRuns
) -> None:
    run = notebook_runs.solution(assignment)
    assert not run.execution.hook_errors, f"the plot hook failed: {run.execution.hook_errors}"
    findings = run.plot_findings
    assert not findings, f"{assignment}: plots that need colour or lack labels:\n" + describe(
        run.execution.notebook, findings
    )
