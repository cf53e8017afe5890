"""Grade your own notebook with the full hidden tests: no instructor, no network needed.

    python -m grading.selfgrade notebooks/01_gradient_descent/01_gradient_descent.ipynb

It builds a throwaway nbgrader course from the instructor notebooks in this repository
(``solutions/``), generates the assignment, submits a copy of your notebook, autogrades it with
the course's own configuration, generates the HTML feedback, prints your score per exercise and
copies the feedback next to your notebook (``feedback/<notebook name>.html``). Your notebook is
never modified. It works wherever the README's set-up works: a laptop, Binder, a hub.

Written answers ("explain" questions, graded by a person) are not scored here: the report counts
the autograded points, lists the written answers that wait for a grade by hand and says where
the model answers are; the HTML feedback marks them "not graded yet" instead of nbgrader's 0.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import batch
from .course import REPO_ROOT, SOLUTIONS, is_written_answer

STUDENT = "me"
EXERCISE_HEADING = re.compile(r"^#+\s*(Exercise\b[^\n]*?)\s*(\(\d+ points?\))?\s*$", re.M)


class SelfGradeError(Exception):
    """Something a learner can fix: a wrong path, a notebook that matches no assignment."""


@dataclass
class Exercise:
    answer: str
    title: str
    cells: list[str] = field(default_factory=list)
    score: float = 0.0
    max_score: float = 0.0
    problems: list[str] = field(default_factory=list)
    by_hand: bool = False  # a written answer: a person grades it (course.is_written_answer)
    pending: float = 0.0  # its points, while no person has graded it


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _ids(notebook) -> set[str]:
    return {_meta(c)["grade_id"] for c in notebook.cells if _meta(c).get("grade_id")}


def find_assignment(
    path: Path, assignment: str | None = None, solutions: Path = SOLUTIONS
) -> tuple[str, Path]:
    """The assignment a notebook belongs to, and its instructor notebook (in ``solutions``)."""
    candidates = sorted(Path(solutions).glob("*/*.ipynb"))
    if assignment is not None:
        matches = [c for c in candidates if c.parent.name == assignment]
        if not matches:
            known = ", ".join(sorted({c.parent.name for c in candidates}))
            raise SelfGradeError(f"no assignment {assignment!r} in {solutions} (known: {known})")
        return assignment, matches[0]
    for source in candidates:
        if source.stem == path.stem or source.parent.name == path.parent.name:
            return source.parent.name, source
    ids = _ids(nbformat.read(path, as_version=4))
    scored = [(len(ids & _ids(nbformat.read(c, as_version=4))), c) for c in candidates]
    best = max(scored, default=(0, None), key=lambda item: item[0])
    if best[1] is None or best[0] == 0:
        raise SelfGradeError(
            f"{path.name} does not look like one of the course's notebooks; "
            "pass --assignment NN_name"
        )
    return best[1].parent.name, best[1]


def exercises_of(notebook) -> list[Exercise]:
    """The graded exercises of an instructor notebook, with their titles and test cells; each
    written answer (graded by hand) is an exercise of its own, its cell its only graded cell."""
    exercises: list[Exercise] = []
    title = ""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = EXERCISE_HEADING.search(cell.source)
            if match:
                title = match.group(1).strip()
        meta = _meta(cell)
        if is_written_answer(cell):
            name = meta["grade_id"]
            exercises.append(Exercise(name, title or name, [name], by_hand=True))
        elif meta.get("solution") and cell.cell_type == "code":
            exercises.append(Exercise(meta["grade_id"], title or meta["grade_id"]))
    answers = [e.answer for e in exercises if not e.by_hand]
    previous: Exercise | None = None
    for cell in notebook.cells:
        meta = _meta(cell)
        if is_written_answer(cell) or (meta.get("solution") and cell.cell_type != "code"):
            continue  # graded as a cell of its own, or not graded at all
        if meta.get("solution"):
            previous = next(e for e in exercises if e.answer == meta["grade_id"])
        elif meta.get("grade"):
            name = meta["grade_id"]
            owners = [a for a in answers if name.lower().startswith(f"test_{a.lower()}_")]
            owner = max(owners, key=len) if owners else (previous.answer if previous else None)
            target = next((e for e in exercises if e.answer == owner), None)
            if target is None:
                target = Exercise(name, "Other tests")
                exercises.append(target)
            target.cells.append(name)
    return [e for e in exercises if e.cells]


def _what_went_wrong(path: Path) -> dict[str, str]:
    """For each failed test cell of a graded notebook: the error's first line and, when the
    tests recognised a known mistake, its name and the hint."""
    problems = {}
    for cell in nbformat.read(path, as_version=4).cells:
        name = _meta(cell).get("grade_id")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not name or not errors:
            continue
        first = f"{errors[0].get('ename', '')}: {errors[0].get('evalue', '')}".strip(": ")
        text = first.splitlines()[0][:300] if first else "failed"
        everything = "\n".join(
            str(o.get("evalue", "")) + str(o.get("text", "")) for o in cell.get("outputs", [])
        )
        known = re.search(
            r"(your result matches a known mistake, [^\n]*)(\nHint: [^\n]*)?", everything
        )
        if known:
            text += (
                "\n        -> "
                + known.group(1)
                + (f" {known.group(2).strip()}" if known.group(2) else "")
            )
        problems[name] = text
    return problems


def _nbgrader(course: Path, env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SelfGradeError(f"nbgrader {args[0]} failed:\n{result.stderr[-2000:]}")


def selfgrade(
    notebook: Path,
    assignment: str | None = None,
    feedback_dir: Path | None = None,
    out=None,
    solutions: Path = SOLUTIONS,
) -> tuple[list[Exercise], Path]:
    """Grade ``notebook``; return its exercises with scores and the path of the HTML feedback.

    ``solutions`` is the folder of instructor notebooks (the repository's, unless a test has
    its own)."""
    out = out or sys.stdout
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise SelfGradeError(f"{notebook} does not exist")
    assignment, source = find_assignment(notebook, assignment, solutions)
    print(f"Grading {notebook.name} as {assignment}, hidden tests included...", file=out)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="selfgrade-") as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(source.parent, course / "solutions" / assignment)
        shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        _nbgrader(course, env, "generate_assignment", assignment)
        submitted = course / "submitted" / STUDENT / assignment
        submitted.mkdir(parents=True)
        shutil.copy(notebook, submitted / source.name)
        result = batch.grade_student(course, assignment, STUDENT, env=env, protect_packages=())
        if not result.ok:
            raise SelfGradeError(f"grading failed: {result.error}\n{result.log[-2000:]}")
        # The course's configuration marks waiting written answers "not graded yet" (as in an
        # instructor's feedback); here the note also says where the model answers are.
        advice = pending_advice(result.pending_points, model_answers(source)) + "."
        _nbgrader(
            course,
            env,
            "generate_feedback",
            assignment,
            f"--student={STUDENT}",
            f"--WaitingAnswersFeedback.advice={advice}",
        )
        produced = course / "feedback" / STUDENT / assignment / f"{source.stem}.html"
        target_dir = Path(feedback_dir) if feedback_dir else notebook.parent / "feedback"
        target_dir.mkdir(parents=True, exist_ok=True)
        feedback = target_dir / f"{notebook.stem}.html"
        text = produced.read_text(encoding="utf-8")
        feedback.write_text(text, encoding="utf-8")
        graded = next((course / "autograded" / STUDENT / assignment).glob("*.ipynb"))
        problems = _what_went_wrong(graded)

    exercises = exercises_of(nbformat.read(source, as_version=4))
    for exercise in exercises:
        for name in exercise.cells:
            got, top = result.cells.get(name, (0.0, 0.0))
            exercise.max_score += top
            if name in result.pending:
                exercise.pending += top
                continue
            exercise.score += got
            if exercise.by_hand and got < top:
                exercise.problems.append(f"{name}: {NOT_ANSWERED}")
            elif got < top:
                exercise.problems.append(f"{name}: {problems.get(name, 'failed')}")
    _print_report(exercises, result, feedback, out, model_answers(source))
    return exercises, feedback


NOT_ANSWERED = "no answer (the cell is as it was handed out), so 0"


def model_answers(source: Path) -> str:
    """Where the model answers are: the instructor notebook, relative to the repository."""
    try:
        return str(source.relative_to(REPO_ROOT))
    except ValueError:
        return str(source)


def pending_advice(points: float, where: str) -> str:
    """What a learner does about written answers that wait for a person's grade."""
    return (
        f"{points:g} point{'s' if points != 1 else ''} to be graded by hand: compare your answer "
        f"with the model answer in {where} (open course) or wait for your instructor"
    )


def _print_report(
    exercises: list[Exercise], result: batch.Result, feedback: Path, out, where: str
) -> None:
    width = max((len(e.title) for e in exercises), default=10)
    print("", file=out)
    for exercise in exercises:
        if exercise.pending:
            mark, score = "✎", f"? / {exercise.max_score:g}  (graded by hand)"
        else:
            mark = "✓" if exercise.score == exercise.max_score else "✗"
            score = f"{exercise.score:g} / {exercise.max_score:g}"
        print(f"  {mark} {exercise.title:<{width}}  {exercise.answer:<26} {score}", file=out)
        for problem in exercise.problems:
            print(f"      - {problem}", file=out)
    if not result.manual:
        print(f"\n  Total: {result.score:g} / {result.max_score:g} points", file=out)
    else:
        print(f"\n  Total: {result.auto_score:g} / {result.auto_max:g} points autograded", file=out)
        written = [e for e in exercises if e.by_hand and not e.pending]
        if written:
            got = sum(e.score for e in written)
            top = sum(e.max_score for e in written)
            print(f"  Written answers already scored: {got:g} / {top:g} points", file=out)
        if result.pending:
            print(f"  {pending_advice(result.pending_points, where)}.", file=out)
    for note in result.notes:
        print(f"  Note: {note}", file=out)
    print(f"\nFeedback with every test and message (open it in a browser):\n  {feedback}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grading.selfgrade",
        description="Grade your own notebook with the course's full (hidden) tests.",
    )
    parser.add_argument("notebook", type=Path, help="your notebook (.ipynb)")
    parser.add_argument("--assignment", help="NN_name, if the file name does not say it")
    parser.add_argument("--feedback-dir", type=Path, help="where to put the HTML feedback")
    args = parser.parse_args(argv)
    try:
        selfgrade(args.notebook, args.assignment, args.feedback_dir)
    except SelfGradeError as error:
        print(f"selfgrade: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
