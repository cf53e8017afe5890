"""The text says what the cells print: every figure in a notebook's prose is printed by the same
run (the FAST run the tests execute), spelled out by its code, labelled as a reference figure, or
derived in the sentence itself and listed below with the derivation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import nbformat
import pytest
from numbers_in_text import printed_numbers, prose_numbers, unprinted_numbers

from grading.course import assignments

if TYPE_CHECKING:
    from conftest import NotebookRuns

# Figures the prose computes from what it states next to them (a formula evaluated, a library's
# documented default): notebook -> {number as written: how the sentence gets it}. Keep it short:
# a measured figure belongs in a cell's output, not here.
DERIVED: dict[str, dict[str, str]] = {}


def markdown_and_code(markdown: str, source: str = "", printed: str = "") -> nbformat.NotebookNode:
    code = nbformat.v4.new_code_cell(source)
    if printed:
        code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    return nbformat.v4.new_notebook(cells=[code, nbformat.v4.new_markdown_cell(markdown)])


def stale(markdown: str, source: str = "", printed: str = "") -> list[str]:
    return [n.key for n in unprinted_numbers(markdown_and_code(markdown, source, printed))]


def test_a_number_the_run_does_not_print_is_stale() -> None:
    assert stale("The large group ends near 0.14.", printed="final w: 0.1034\n") == ["0.14"]


def test_a_number_printed_at_a_finer_precision_is_found() -> None:
    assert stale("The large group ends near 0.10.", printed="final w: 0.1034\n") == []
    assert stale("It reached 98.1% and then 98%.", printed="accuracy 0.98123\n") == []


def test_constants_in_the_code_count_and_thousands_separators_do_not_matter() -> None:
    assert stale("With 60,000 images and beta = 0.9", source="n = 60_000\nbeta = 0.9") == []
    assert stale("all 60 000 of them; $235{,}146$ weights", printed="60000 235146") == []


def test_reference_figures_headings_times_and_small_counts_are_not_checked() -> None:
    text = (
        "# 03 · Momentum\n\n**Time:** about 45 minutes.\n\n### 3.2 A plateau\n\n"
        "Three problems, 2 of them in Section 3.1.\n\n"
        "Reference figure (full mode, 2-core CPU): 115,000 images/s."
    )
    assert stale(text) == []


def test_the_scanner_reports_where_the_number_is() -> None:
    (number,) = prose_numbers(markdown_and_code("it took about 550 steps"))
    assert (number.cell, number.key, number.value) == (1, "550", 550.0)
    assert "550 steps" in number.context
    assert printed_numbers(markdown_and_code("", "x = 1e-3", "1,234.5\n")) == [0.001, 1234.5]


@pytest.mark.parametrize("assignment", assignments())
def test_every_figure_in_the_text_is_printed_by_the_run(
    assignment: str, notebook_runs: NotebookRuns
) -> None:
    """Numbers in markdown cells that no cell of the FAST run prints (see numbers_in_text)."""
    notebook = notebook_runs.solution(assignment).execution.notebook
    derived = DERIVED.get(assignment, {})
    missing = [n for n in unprinted_numbers(notebook) if n.key not in derived]
    assert not missing, f"{assignment}: figures in the text that this run does not print:\n" + (
        "\n".join(f"  cell {n.cell}: {n.key!r} in '...{n.context}...'" for n in missing)
        + "\nPrint them, point at the printed output instead, or label the paragraph as a "
        "reference figure with its conditions."
    )
    unused = set(derived) - {n.key for n in prose_numbers(notebook)}
    assert not unused, f"{assignment}: DERIVED lists figures the text no longer states: {unused}"
