"""Self-grading: one command grades a learner's notebook with the hidden tests, offline."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from mutants.corpus import Right, as_submission, splice

from grading.course import REPO_ROOT, assignments, graded_points, notebook_path
from grading.selfgrade import SelfGradeError, exercises_of, find_assignment

ASSIGNMENT = "01_gradient_descent"


@pytest.mark.parametrize("assignment", assignments())
def test_exercises_group_every_test_cell(assignment: str) -> None:
    """Each graded cell (test cells, and written answers graded by hand) belongs to exactly one
    exercise, so the exercises' points add up to the notebook's."""
    notebook = nbformat.read(notebook_path(assignment), as_version=4)
    exercises = exercises_of(notebook)
    grouped = [cell for e in exercises for cell in e.cells]
    assert sorted(grouped) == sorted(graded_points(notebook))
    for exercise in exercises:  # a written answer is an exercise of its own
        assert exercise.by_hand == (exercise.cells == [exercise.answer]), exercise
    answers = {e.answer for e in exercises}
    for exercise in exercises:
        assert exercise.answer in answers and exercise.title


def test_assignment_found_from_name_folder_or_cells(tmp_path: Path) -> None:
    release = notebook_path(ASSIGNMENT, release=True)
    assert find_assignment(release)[0] == ASSIGNMENT
    renamed = tmp_path / "my attempt (copy).ipynb"
    shutil.copy(release, renamed)
    assert find_assignment(renamed)[0] == ASSIGNMENT  # from its graded cells
    other = tmp_path / "notes.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), other)
    with pytest.raises(SelfGradeError, match="does not look like"):
        find_assignment(other)
    with pytest.raises(SelfGradeError, match="no assignment"):
        find_assignment(other, "99_nothing")


def _network_isolation() -> list[str]:
    """A prefix that runs a command with no network but loopback (like an offline laptop),
    when this machine allows it."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return []
    flags = ["-n"] if os.geteuid() == 0 else ["-rn"]
    prefix = ["unshare", *flags, "sh", "-c", 'ip link set lo up && exec "$@"', "offline"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    return prefix if probe.returncode == 0 else []


@pytest.mark.slow
def test_selfgrade_command_grades_a_learners_notebook(tmp_path: Path) -> None:
    """A learner's notebook (one exercise right, one untouched, one wrong) graded by the CLI,
    run from another folder and, where the machine allows it, with no network at all."""
    learner = nbformat.read(notebook_path(ASSIGNMENT, release=True), as_version=4)
    solution = nbformat.read(notebook_path(ASSIGNMENT), as_version=4)
    for cell, reference in zip(learner.cells, as_submission(solution).cells, strict=True):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "gd_step":
            cell.source = reference.source
    wrong = Right("", "return float(1.0 / np.linalg.eigvalsh(A).max())")
    mine = splice(solution, "max_stable_learning_rate", wrong)
    for cell, mutated in zip(learner.cells, mine.cells, strict=True):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "max_stable_learning_rate":
            cell.source = mutated.source
    folder = tmp_path / "my work"
    folder.mkdir()
    path = folder / f"{ASSIGNMENT}.ipynb"
    nbformat.write(learner, path)
    before = path.read_bytes()

    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [*_network_isolation(), sys.executable, "-m", "grading.selfgrade", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    print(out)
    # The points come from the notebook (they change as exercises are added), not from here.
    points = graded_points(solution)
    worth = {e.answer: sum(points[c] for c in e.cells) for e in exercises_of(solution)}
    autograded = sum(graded_points(solution, autograded_only=True).values())
    assert re.search(rf"gd_step\s+{worth['gd_step']:g} / {worth['gd_step']:g}\n", out)
    assert re.search(rf"gradient_descent\s+0 / {worth['gradient_descent']:g}\n", out)
    assert "NotImplementedError" in out
    assert "known mistake, 1 / (largest eigenvalue)" in out
    assert f"Total: {worth['gd_step']:g} / {autograded:g} points autograded" in out
    feedback = folder / "feedback" / f"{ASSIGNMENT}.html"
    assert str(feedback) in out
    html = feedback.read_text()
    assert "1 / (largest eigenvalue)" in html and "check_stable_lr_rotated" in html
    assert path.read_bytes() == before, "self-grading must not modify the learner's notebook"
