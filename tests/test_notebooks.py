"""Checks that hold for every notebook, now and later: they discover notebooks, never list them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

from grading.course import (
    RELEASE,
    REPO_ROOT,
    SOLUTIONS,
    assignments,
    is_graded_test,
    notebook_path,
)

if TYPE_CHECKING:
    from conftest import NotebookRuns

ASSIGNMENTS = assignments()
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def test_course_has_notebooks() -> None:
    assert ASSIGNMENTS, "no assignments found in solutions/"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", a) for a in ASSIGNMENTS), ASSIGNMENTS


def all_committed_notebooks() -> list[Path]:
    return sorted(p for root in (SOLUTIONS, RELEASE) for p in root.rglob("*.ipynb"))


@pytest.mark.parametrize(
    "path", all_committed_notebooks(), ids=lambda p: str(p.relative_to(REPO_ROOT))
)
def test_notebook_is_clean(path: Path) -> None:
    """Committed without outputs or execution counts, in the standard Python kernel."""
    notebook = json.loads(path.read_text())
    dirty = [
        i
        for i, c in enumerate(notebook["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"{path}: cells {dirty} carry outputs or execution counts"
    assert notebook["metadata"]["kernelspec"] == KERNELSPEC


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_follows_the_template(assignment: str) -> None:
    """Objectives, time, points, summary; every graded cell has a unique id, points, a docstring."""
    notebook = nbformat.read(notebook_path(assignment), as_version=4)
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    for needed in ("What you will learn", "**Time:**", "**Points:**", "## Summary"):
        assert needed in text, f"{assignment}: the template's '{needed}' is missing"
    grade_ids = [
        c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if "nbgrader" in c.metadata
    ]
    assert len(grade_ids) == len(set(grade_ids)), f"duplicate grade_id in {assignment}"
    tests = [c for c in notebook.cells if is_graded_test(c)]
    assert tests, f"{assignment} has no graded test cells"
    for cell in tests:
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        assert grade_id.startswith("test_"), grade_id
        assert cell.metadata["nbgrader"]["points"] > 0, grade_id
        assert re.match(r'^"""[^\n]+"""\n', cell.source), f"{grade_id}: no one-line docstring"
    total = sum(c.metadata["nbgrader"]["points"] for c in tests)
    match = re.search(r"\*\*Points:\*\*\s*(\d+)", text)
    assert match and int(match.group(1)) == total, (
        f"{assignment}: the introduction announces {match and match.group(1)} points, "
        f"the test cells add up to {total}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_every_test(assignment: str, notebook_runs: NotebookRuns) -> None:
    """The instructor notebook runs top to bottom: no errors, no stderr in tests, plots drawn."""
    run = notebook_runs.solution(assignment).execution
    assert not run.errors, f"{assignment}: errors in cells {run.errors}"
    noisy = [c.grade_id for c in run.cells if c.graded_test and c.stderr]
    assert not noisy, f"{assignment}: test cells {noisy} write to stderr (nbgrader scores that 0)"
    assert sum(c.images for c in run.cells) > 0, f"{assignment}: no plot was drawn"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_fails_only_through_stubs(assignment: str, notebook_runs: NotebookRuns) -> None:
    """The student notebook runs; every graded test fails, and only with the stubs' error."""
    run = notebook_runs.release(assignment).execution
    others = [(i, e) for i, e in run.errors if not e.startswith("NotImplementedError")]
    assert not others, f"{assignment}: errors other than the stubs' NotImplementedError: {others}"
    passing = [c.grade_id for c in run.cells if c.graded_test and not c.errors]
    assert not passing, f"{assignment}: test cells {passing} pass on the untouched stubs"


def test_release_is_exactly_what_nbgrader_generates(tmp_path: Path) -> None:
    """notebooks/ is byte for byte what `nbgrader generate_assignment` makes of solutions/."""
    # One nbgrader process for every assignment: the assignment id is a glob to nbgrader, and
    # "*" matches every folder of solutions/ (a few seconds instead of one process each).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "generate_assignment",
            "*",
            "--force",
            "--no-db",
            f"--CourseDirectory.release_directory={tmp_path}",
            "--log-level=ERROR",
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(RELEASE) for p in RELEASE.rglob("*") if p.is_file())
    assert generated == committed, (
        "notebooks/ has different files; run scripts/regenerate-notebooks.sh"
    )
    stale = [str(p) for p in generated if (tmp_path / p).read_bytes() != (RELEASE / p).read_bytes()]
    assert not stale, f"stale release notebooks {stale}: run scripts/regenerate-notebooks.sh"


def solution_lines(notebook: nbformat.NotebookNode) -> list[str]:
    """Substantial code lines inside every solution region and hidden-test region."""
    lines: list[str] = []
    for cell in notebook.cells:
        for begin, end in (
            ("### BEGIN SOLUTION", "### END SOLUTION"),
            ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
        ):
            for block in re.findall(f"{begin}(.*?){end}", cell.source, flags=re.S):
                lines += [line.strip() for line in block.splitlines() if len(line.strip()) > 12]
    return lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_gives_nothing_away(assignment: str) -> None:
    """No solution code, hidden test or reference module appears anywhere in notebooks/."""
    folder = RELEASE / assignment
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert all(p.suffix == ".ipynb" for p in files), f"non-notebook files in release: {files}"
    release = nbformat.read(notebook_path(assignment, release=True), as_version=4)
    text = "\n".join(c.source for c in release.cells)
    code = "\n".join(c.source for c in release.cells if c.cell_type == "code")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS"):
        assert marker not in text, f"{assignment}: '{marker}' appears in the student notebook"
    # The text may tell learners about `python -m grading.selfgrade`; no code cell may use it.
    assert "autograder" not in code, f"{assignment}: a code cell uses the instructor package"
    leaked = [
        line for line in solution_lines(nbformat.read(notebook_path(assignment), 4)) if line in text
    ]
    assert not leaked, f"{assignment}: solution lines leaked into the release: {leaked}"
