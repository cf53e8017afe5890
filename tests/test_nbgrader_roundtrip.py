"""A full nbgrader cycle per assignment, in a temporary course: generate, submit, autograde,
feedback, export. The solution scores full marks; the untouched release scores 0 on every cell."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.course import REPO_ROOT, assignments, notebook_path

pytestmark = pytest.mark.slow


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--log-level=INFO"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result


@pytest.mark.parametrize("assignment", assignments())
def test_round_trip(assignment: str, tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(REPO_ROOT / "solutions" / assignment, course / "solutions" / assignment)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    name = notebook_path(assignment).name

    nbgrader(course, "generate_assignment", assignment)
    for student, source in (("perfect", course / "solutions"), ("blank", course / "notebooks")):
        target = course / "submitted" / student / assignment
        target.mkdir(parents=True)
        shutil.copy(source / assignment / name, target / name)
        nbgrader(course, "autograde", assignment, f"--student={student}")
    nbgrader(course, "generate_feedback", assignment)
    nbgrader(course, "export")

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        max_score = gradebook.find_assignment(assignment).max_score
        perfect = gradebook.find_submission_notebook(
            name.removesuffix(".ipynb"), assignment, "perfect"
        )
        blank = gradebook.find_submission_notebook(name.removesuffix(".ipynb"), assignment, "blank")
        lost = {g.name: (g.score, g.max_score) for g in perfect.grades if g.score != g.max_score}
        earned = {g.name: g.score for g in blank.grades if g.score}
        assert max_score > 0
        assert not lost, f"the solution lost points in {lost}"
        assert not earned, f"the untouched release earned points in {earned}"

    for student in ("perfect", "blank"):
        feedback = course / "feedback" / student / assignment / name.replace(".ipynb", ".html")
        assert feedback.is_file(), f"no feedback for {student}"
    with open(course / "grades.csv") as handle:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert scores == {"perfect": max_score, "blank": 0.0}
