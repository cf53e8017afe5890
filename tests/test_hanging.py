"""Answers that never return, graded by a real `python -m grading.batch` with the course's
default settings: the hang costs one cell's time limit (taken from the reference run), the
function that did not return is named, and every point that does not depend on it is kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from mutants.corpus import Right, as_submission, exercise_test_cells, grade_id, splice

from grading import batch
from grading.course import graded_points, grading_env, make_course, notebook_path, submit

ASSIGNMENT = "01_gradient_descent"
SOLUTION = nbformat.read(notebook_path(ASSIGNMENT), as_version=4)
GD, LOOP, LR = "gd_step", "gradient_descent", "max_stable_learning_rate"
CELLS = {e: exercise_test_cells(SOLUTION, e) for e in (GD, LOOP, LR)}
POINTS = graded_points(SOLUTION)
FULL = sum(POINTS.values())  # the notebook's maximum, written answers included
AUTOGRADED = sum(graded_points(SOLUTION, autograded_only=True).values())
ENV = grading_env()
for name in ("AUTOGRADE_TEST_CELL_TIMEOUT", "AUTOGRADE_CELL_TIMEOUT", "AUTOGRADE_CELL_BUDGETS"):
    ENV.pop(name, None)


def gd_step_hangs(notebook):
    """Everything right except gd_step, whose body never ends."""
    return splice(notebook, GD, Right("", "while True:\n    pass"))


def experiment_hangs(notebook):
    """Everything right; the first experiment asks for a billion steps (it would take hours)."""
    cell = next(
        c
        for c in notebook.cells
        if c.cell_type == "code" and grade_id(c) is None and "gradient_descent(" in c.source
    )
    cell.source = re.sub(r"num_steps=\w+", "num_steps=10**9", cell.source, count=1)
    assert "10**9" in cell.source
    return notebook


STUDENTS = {"gd-step-hangs": gd_step_hangs, "experiment-hangs": experiment_hangs}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    course = make_course(tmp_path_factory.mktemp("hanging"), ASSIGNMENT, ENV)
    for student, build in STUDENTS.items():
        submit(course, ASSIGNMENT, student, as_submission(build(nbformat.from_dict(SOLUTION))))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "grading.batch",
            ASSIGNMENT,
            "--course",
            str(course),
            "--trust-packages",
        ],
        cwd=course,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    print("\n" + run.stdout)
    results = {}
    for student in STUDENTS:
        result = batch.Result(student)
        batch._read_scores(course / "gradebook.db", ASSIGNMENT, student, result)
        results[student] = result
    return course, run, results


def outputs(course: Path, student: str) -> list[tuple[str | None, list[dict]]]:
    path = next((course / "autograded" / student / ASSIGNMENT).glob("*.ipynb"))
    notebook = nbformat.read(path, as_version=4)
    return [(grade_id(c), c.get("outputs", [])) for c in notebook.cells if c.cell_type == "code"]


def errors_of(cells, name: str | None = None) -> list[str]:
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for cell, outs in cells
        if name is None or cell == name
        for o in outs
        if o.get("output_type") == "error"
    ]


@pytest.mark.slow
def test_batch_grades_both_students(graded) -> None:
    _, run, results = graded
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Cell time limits from the reference run" in run.stdout
    for student in STUDENTS:
        assert results[student].max_score == FULL, run.stdout


@pytest.mark.slow
def test_a_step_that_never_returns_costs_only_its_own_points(graded) -> None:
    course, run, results = graded
    result = results["gd-step-hangs"]
    assert result.score == AUTOGRADED - sum(POINTS[c] for c in CELLS[GD]), run.stdout
    for cell in CELLS[GD]:
        assert result.cells[cell][0] == 0
    for cell in CELLS[LOOP] + CELLS[LR]:
        assert result.cells[cell][0] == result.cells[cell][1] > 0
    cells = outputs(course, "gd-step-hangs")
    first, *later = CELLS[GD]
    stopped = [e for e in errors_of(cells, first) if e.startswith("DidNotReturn")]
    assert stopped and "gd_step() did not return within this cell's time limit" in stopped[0]
    limit = int(re.search(r"time limit \((\d+) s\)", stopped[0])[1])
    assert limit < 60, f"the cell kept nbgrader_config.py's limit, not its budget: {limit}"
    for cell in later:  # failed at once, with the reason
        assert any("gd_step() did not return" in e for e in errors_of(cells, cell)), cell
        assert not any("CellTimeoutError" in e for e in errors_of(cells, cell)), cell
    experiments = [errors_of([(cell, outs)]) for cell, outs in cells if cell is None]
    failed = [e for errors in experiments for e in errors]
    assert failed and all("gd_step() did not return" in e for e in failed), failed
    assert "gd_step() did not return" in run.stdout


@pytest.mark.slow
def test_a_hanging_experiment_costs_no_points(graded) -> None:
    course, run, results = graded
    assert results["experiment-hangs"].score == AUTOGRADED, run.stdout
    cells = outputs(course, "experiment-hangs")
    stopped = [i for i, (_, outs) in enumerate(cells) if errors_of([(None, outs)])]
    assert len(stopped) == 1, "only the experiment that asked for a billion steps fails"
    assert any("gradient_descent() did not return within" in e for e in errors_of(cells)), cells
    assert "gradient_descent() did not return" in run.stdout
