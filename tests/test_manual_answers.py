"""Written answers graded by hand ("explain" questions): the template every notebook follows, and
their way through the course's grading pipeline.

An explain question is a markdown cell that nbgrader treats as a manually graded answer
(``solution`` and ``grade`` both true, ``points`` > 0, ``grade_id`` starting ``explain_``). In
``solutions/`` it holds the question, then, between ``### BEGIN SOLUTION`` and
``### END SOLUTION``, a model answer and a rubric whose items' points add up to the cell's points;
the release keeps the question and shows "YOUR ANSWER HERE" in place of the rest
(docs/maintainers.md, "Adding an explain question").

The pipeline tests use a throwaway two-exercise notebook (one autograded function, one explain
question) in a temporary nbgrader course: generate_assignment, autograde (the batch runner),
generate_feedback (written answers waiting for a person shown "not graded yet"), export, and
``python -m grading.selfgrade``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grading import batch
from grading.course import (
    EXPLAIN_PREFIX,
    REPO_ROOT,
    assignments,
    is_graded_test,
    is_written_answer,
    make_course,
    notebook_path,
)
from grading.selfgrade import exercises_of, selfgrade

SOLUTION_REGION = re.compile(
    r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION", re.M | re.S
)
RUBRIC_ITEM = re.compile(r"^[ \t]*[-*][ \t]+(\d+(?:\.\d+)?)[ \t]+points?\b", re.M)
TOY = "toy_explain"
ENV = dict(
    os.environ,
    PYTHONPATH=str(REPO_ROOT),
    AUTOGRADE_TEST_CELL_TIMEOUT="20",
    AUTOGRADE_CELL_TIMEOUT="60",
)


# --- the template ------------------------------------------------------------------------------
def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def explain_problems(notebook) -> list[str]:
    """What is wrong with a notebook's written answers, by the course's template ([] if nothing).

    Every manually graded cell: a markdown cell, grade_id ``explain_...``, points > 0, not a task,
    a question before its solution region, and in that region a model answer and a rubric whose
    items ("- 1 point: ...") add up to the cell's points. Every ``explain_`` id is such a cell.
    The notebook keeps autograded points (no exercise may be gradeable only by a person)."""
    problems = []
    autograded = 0.0
    for cell in notebook.cells:
        meta = _meta(cell)
        name = meta.get("grade_id", "")
        if is_graded_test(cell):
            autograded += float(meta.get("points") or 0)
        if not is_written_answer(cell):
            if name.startswith(EXPLAIN_PREFIX):
                problems.append(f"{name}: an explain_ id on a cell that is not a graded answer")
            continue
        if not name.startswith(EXPLAIN_PREFIX):
            problems.append(
                f"{name}: a manually graded cell's grade_id must start {EXPLAIN_PREFIX}"
            )
        if cell.cell_type != "markdown":
            problems.append(f"{name}: a manually graded cell must be a markdown cell")
        if meta.get("task"):
            problems.append(f"{name}: a manually graded answer is not a task cell")
        points = float(meta.get("points") or 0)
        if points <= 0:
            problems.append(f"{name}: no points")
        region = SOLUTION_REGION.search(cell.source)
        if region is None:
            problems.append(f"{name}: no ### BEGIN SOLUTION / ### END SOLUTION region")
            continue
        if not cell.source[: region.start()].strip():
            problems.append(f"{name}: no question before the solution region")
        body = region.group(1)
        model = re.search(r"Model answer\W*\s*(\S.*?)(?=\n\s*\**Rubric|\Z)", body, re.S)
        if model is None or len(model.group(1).split()) < 5:
            problems.append(f"{name}: no model answer ('**Model answer.** ...') in the solution")
        rubric = re.search(r"Rubric(.*)", body, re.S)
        items = RUBRIC_ITEM.findall(rubric.group(1)) if rubric else []
        if not items:
            problems.append(f"{name}: no rubric ('**Rubric**' and items '- 1 point: ...')")
        elif abs(sum(float(i) for i in items) - points) > 1e-9:
            problems.append(
                f"{name}: the rubric's items add up to {sum(float(i) for i in items):g} points, "
                f"the cell has {points:g}"
            )
    if autograded <= 0:
        problems.append(
            "the notebook has no autograded points (an explain question may not be all)"
        )
    return problems


@pytest.mark.parametrize("assignment", assignments())
def test_written_answers_follow_the_template(assignment: str) -> None:
    """Every explain question of the course has its id, points, model answer and rubric; every
    notebook keeps an autograded total."""
    notebook = nbformat.read(notebook_path(assignment), as_version=4)
    assert explain_problems(notebook) == []


# --- a throwaway notebook with one autograded exercise and one explain question -----------------
QUESTION = "Why is `square(-3)` positive although `-3` is negative?"
MODEL = (
    "**Model answer.** The product of two negative numbers is positive: the two minus signs "
    "cancel, and that holds for every real number, so x * x is never negative."
)
RUBRIC = (
    "**Rubric** (2 points):\n"
    "- 1 point: the two minus signs cancel (negative times negative)\n"
    "- 1 point: it holds for every input, not just -3"
)
ANSWER = "Minus times minus is plus, for any x."


def _nbgrader_meta(grade_id: str, **flags) -> dict:
    meta = {
        "grade": False,
        "grade_id": grade_id,
        "locked": False,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    meta.update(flags)
    return {"nbgrader": meta}


def explain_cell(
    source: str | None = None, grade_id: str = "explain_square_sign", **flags
) -> nbformat.NotebookNode:
    text = (
        source
        if source is not None
        else (f"{QUESTION}\n\n### BEGIN SOLUTION\n{MODEL}\n\n{RUBRIC}\n### END SOLUTION")
    )
    meta = {"solution": True, "grade": True, "points": 2, **flags}
    return nbformat.v4.new_markdown_cell(text, metadata=_nbgrader_meta(grade_id, **meta))


def toy_notebook(*explain: nbformat.NotebookNode, test_points: float = 3) -> nbformat.NotebookNode:
    """An instructor notebook: one function with its test cell, then the given explain cells."""
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell(
            "# Squares\n\n**Points:** 5", metadata=_nbgrader_meta("intro", locked=True)
        ),
        v4.new_markdown_cell("## Exercise 1: square (3 points)"),
        v4.new_code_cell(
            'def square(x):\n    """x times itself."""\n    ### BEGIN SOLUTION\n    return x * x\n'
            "    ### END SOLUTION",
            metadata=_nbgrader_meta("square", solution=True),
        ),
        v4.new_code_cell(
            '"""square works on a positive number."""\nassert square(3) == 9\n'
            "### BEGIN HIDDEN TESTS\nassert square(-3) == 9\n### END HIDDEN TESTS",
            metadata=_nbgrader_meta("test_square", grade=True, locked=True, points=test_points),
        ),
        v4.new_markdown_cell("## Exercise 2: explain (2 points)"),
        *explain,
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return v4.new_notebook(cells=cells, metadata={"kernelspec": kernel})


def test_a_well_formed_explain_question_passes_the_template() -> None:
    assert explain_problems(toy_notebook(explain_cell())) == []


BAD = {
    "wrong id": (explain_cell(grade_id="why_square"), "must start explain_"),
    "no points": (explain_cell(points=0), "no points"),
    "code cell": (
        nbformat.v4.new_code_cell(
            "### BEGIN SOLUTION\n# x\n### END SOLUTION",
            metadata=_nbgrader_meta("explain_code", solution=True, grade=True, points=2),
        ),
        "must be a markdown cell",
    ),
    "no solution region": (explain_cell(f"{QUESTION}\n\n{MODEL}\n\n{RUBRIC}"), "no ### BEGIN"),
    "no question": (
        explain_cell(f"### BEGIN SOLUTION\n{MODEL}\n\n{RUBRIC}\n### END SOLUTION"),
        "no question",
    ),
    "no model answer": (
        explain_cell(f"{QUESTION}\n### BEGIN SOLUTION\n{RUBRIC}\n### END SOLUTION"),
        "no model answer",
    ),
    "no rubric": (
        explain_cell(f"{QUESTION}\n### BEGIN SOLUTION\n{MODEL}\n### END SOLUTION"),
        "no rubric",
    ),
    "rubric after the solution (students would see it)": (
        explain_cell(f"{QUESTION}\n### BEGIN SOLUTION\n{MODEL}\n### END SOLUTION\n{RUBRIC}"),
        "no rubric",
    ),
    "rubric points disagree": (explain_cell(points=3), "add up to 2 points, the cell has 3"),
    "explain id on a plain cell": (
        nbformat.v4.new_markdown_cell(QUESTION, metadata=_nbgrader_meta("explain_plain")),
        "not a graded answer",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_template_check_fails_on_a_bad_explain_question(case: str) -> None:
    cell, expected = BAD[case]
    problems = explain_problems(toy_notebook(cell))
    assert any(expected in p for p in problems), problems


def test_template_check_fails_without_autograded_points() -> None:
    problems = explain_problems(toy_notebook(explain_cell(), test_points=0))
    assert problems == [
        "the notebook has no autograded points (an explain question may not be all)"
    ]


def test_selfgrade_groups_an_explain_question_as_its_own_exercise() -> None:
    """The explain cell is an exercise graded by hand; the test cell stays with its function,
    also when the explain question sits between them."""
    notebook = toy_notebook(explain_cell())
    moved = toy_notebook()
    moved.cells.insert(3, explain_cell())
    for nb in (notebook, moved):
        exercises = {e.answer: e for e in exercises_of(nb)}
        assert exercises["square"].cells == ["test_square"] and not exercises["square"].by_hand
        written = exercises["explain_square_sign"]
        assert written.by_hand and written.cells == ["explain_square_sign"]


def test_batch_lines_show_written_answers_as_pending() -> None:
    waiting = batch.Result(
        "ada",
        score=3.0,
        max_score=5.0,
        cells={"test_square": (3.0, 3.0), "explain_square_sign": (0.0, 2.0)},
        manual={"explain_square_sign"},
        pending={"explain_square_sign": 2.0},
    )
    done = batch.Result("bob", score=3.0, max_score=5.0, cells=dict(waiting.cells))
    assert (waiting.auto_score, waiting.auto_max, waiting.pending_points) == (3.0, 3.0, 2.0)
    line = batch.format_result(waiting)
    assert "3/5" in line and "2 pending" in line
    assert "written answers to grade by hand: explain_square_sign (2)" in line
    assert "pending" not in batch.format_result(done)
    summary = batch.summarize_pending([waiting, done])
    assert "1 of 2 students, 2 points in all" in summary and "formgrader" in summary
    assert batch.summarize_pending([done]) == ""


# --- through the pipeline ----------------------------------------------------------------------
def write_source(folder: Path) -> Path:
    """The toy notebook as an assignment's source folder."""
    folder.mkdir(parents=True)
    nbformat.write(toy_notebook(explain_cell()), folder / f"{TOY}.ipynb")
    return folder


def learner_notebook(release: Path, code: bool, text: bool) -> nbformat.NotebookNode:
    """The release with the function written (``code``) and the question answered (``text``)."""
    notebook = nbformat.read(release, as_version=4)
    for cell in notebook.cells:
        name = _meta(cell).get("grade_id")
        if name == "square" and code:
            cell.source = 'def square(x):\n    """x times itself."""\n    return x**2'
        if name == "explain_square_sign" and text:
            assert "YOUR ANSWER HERE" in cell.source
            cell.source = cell.source.replace("YOUR ANSWER HERE", ANSWER)
    return notebook


SCORE_ZERO = 'href="#explain_square_sign">Written response</a> (Score: 0.0 / 2.0)'


def waiting_shown_as_not_graded(page: str) -> bool:
    """The toy's written answer shown as waiting for a person, in the contents and above the cell,
    with the note that says why (and nowhere as a score of 0)."""
    return (
        'href="#explain_square_sign">Written response</a> (Score: not graded yet / 2.0)' in page
        and "Score: not graded yet / 2.0 <a" in page
        and "graded by a person, not by the autograder" in page
        and SCORE_ZERO not in page
    )


def feedback_pages(course: Path, *students: str) -> dict[str, str]:
    """Run the instructor's ``nbgrader generate_feedback`` (every student, or ``students``) and
    read each student's HTML page."""
    for selected in students or (None,):
        run = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_feedback", TOY, "--force"]
            + ([f"--student={selected}"] if selected else [])
            + ["--log-level=ERROR"],
            cwd=course,
            env=ENV,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
    return {
        page.parent.parent.name: page.read_text(encoding="utf-8")
        for page in (course / "feedback").glob(f"*/{TOY}/{TOY}.html")
    }


@pytest.mark.slow
def test_release_and_batch_leave_written_answers_to_the_instructor(tmp_path: Path) -> None:
    """generate_assignment hides the model answer and rubric; autograde scores the tests and
    leaves an answered explain question pending (not 0), scores an unanswered or deleted one 0;
    the batch report and summary say so; a regrade keeps the instructor's hand grade."""
    source = write_source(tmp_path / "source" / TOY)
    course = make_course(tmp_path / "course", TOY, ENV, source=source)
    release = course / "notebooks" / TOY / f"{TOY}.ipynb"
    released = nbformat.read(release, as_version=4)
    (cell,) = [c for c in released.cells if is_written_answer(c)]
    assert QUESTION in cell.source and "YOUR ANSWER HERE" in cell.source
    for secret in ("Model answer", "Rubric", "BEGIN SOLUTION", "minus signs cancel"):
        assert secret not in cell.source

    students = {
        "ada": (True, True),
        "bob": (True, False),
        "cyd": (False, True),
        "dan": (True, True),
    }
    for student, (code, text) in students.items():
        folder = course / "submitted" / student / TOY
        folder.mkdir(parents=True)
        notebook = learner_notebook(release, code, text)
        if student == "dan":  # deleted the question's cell
            notebook.cells = [c for c in notebook.cells if not is_written_answer(c)]
        nbformat.write(notebook, folder / f"{TOY}.ipynb")
    # protect_packages=(): the check-and-restore of autograder/ and grading/ is for a real class;
    # here it would undo edits made in this checkout while the test runs.
    graded = batch.autograde(course, TOY, env=ENV, budget_factor=None, protect_packages=())
    results = {r.student: r for r in graded}
    ada, bob, cyd, dan = (results[s] for s in students)
    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    # ada: tests full, her written answer waits for a person; nbgrader's own total counts it 0
    assert (ada.auto_score, ada.auto_max) == (3.0, 3.0)
    assert ada.pending == {"explain_square_sign": 2.0} and ada.manual == {"explain_square_sign"}
    assert (ada.score, ada.max_score) == (3.0, 5.0)
    # bob left the question unanswered: nbgrader scores that 0 itself, nothing waits
    assert bob.pending == {} and bob.cells["explain_square_sign"] == (0.0, 2.0)
    # cyd answered the question but not the function: the tests score 0, the answer waits
    assert (cyd.auto_score, cyd.pending) == (0.0, {"explain_square_sign": 2.0})
    # dan deleted the cell: the course's NormalizeCells puts the released one back, unanswered
    assert dan.pending == {} and dan.cells["explain_square_sign"] == (0.0, 2.0)
    assert any("'explain_square_sign' was missing" in note for note in dan.notes), dan.notes
    report = "\n".join(batch.format_result(r) for r in results.values())
    print(report)
    assert re.search(r"ada\s+graded\s+3/5\s+2 pending", report)
    assert "written answers to grade by hand: explain_square_sign (2)" in report
    assert "pending" not in batch.format_result(bob)
    summary = batch.summarize_pending(list(results.values()))
    print(summary)
    assert "2 of 4 students, 4 points in all" in summary and "Manual Grading" in summary

    # The instructor's stock generate_feedback (the course's nbgrader_config.py): ada's and cyd's
    # answers wait for a person, so their pages say "not graded yet", not 0; bob's unanswered
    # question did score 0, and his page says so.
    pages = feedback_pages(course)
    for student in ("ada", "cyd"):
        assert waiting_shown_as_not_graded(pages[student]), student
    assert not waiting_shown_as_not_graded(pages["bob"])
    assert SCORE_ZERO in pages["bob"] and "graded by a person" not in pages["bob"]

    # The instructor grades ada's answer in formgrader (the gradebook API does the same) ...
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        grade = gradebook.find_grade("explain_square_sign", TOY, TOY, "ada")
        grade.manual_score = 1.5
        grade.needs_manual_grade = False
        gradebook.db.commit()
    # ... and a later regrade keeps that grade: nothing pending, the total includes it
    again = batch.grade_student(course, TOY, "ada", env=ENV, protect_packages=())
    assert again.ok, again.error
    assert again.pending == {} and (again.score, again.max_score) == (4.5, 5.0)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        grade = gradebook.find_grade("explain_square_sign", TOY, TOY, "ada")
        # nbgrader flags a hand-graded cell for another look after an autograde (docs say so)
        assert (grade.manual_score, grade.needs_manual_grade) == (1.5, True)
    # Once graded by hand, ada's feedback shows the grade.
    ada_page = feedback_pages(course, "ada")["ada"]
    assert "(Score: 1.5 / 2.0)" in ada_page and not waiting_shown_as_not_graded(ada_page)

    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", "--log-level=ERROR"],
        cwd=course,
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    exported = {
        row["student_id"]: (float(row["score"]), float(row["max_score"]))
        for row in csv.DictReader(io.StringIO((course / "grades.csv").read_text()))
    }
    # nbgrader's CSV has no "pending" column: cyd's waiting answer is in it as 0 (docs say so)
    assert exported == {"ada": (4.5, 5.0), "bob": (3.0, 5.0), "cyd": (0.0, 5.0), "dan": (3.0, 5.0)}


@pytest.mark.slow
def test_selfgrade_reports_a_written_answer_as_pending(tmp_path: Path) -> None:
    """selfgrade of a notebook with everything answered: the tests' points in full, the written
    answer's points to be graded by hand (not 0), and the feedback says "not graded yet"."""
    solutions = tmp_path / "solutions"
    write_source(solutions / TOY)
    course = make_course(tmp_path / "course", TOY, ENV, source=solutions / TOY)
    release = course / "notebooks" / TOY / f"{TOY}.ipynb"
    mine = tmp_path / "me" / f"{TOY}.ipynb"
    mine.parent.mkdir()
    nbformat.write(learner_notebook(release, code=True, text=True), mine)
    out = io.StringIO()
    exercises, feedback = selfgrade(mine, out=out, solutions=solutions)
    text = out.getvalue()
    print(text)
    where = solutions / TOY / f"{TOY}.ipynb"
    assert "✓ Exercise 1: square" in text and "3 / 3" in text
    assert re.search(
        r"✎ Exercise 2: explain\s+explain_square_sign\s+\? / 2  \(graded by hand\)", text
    )
    assert "Total: 3 / 3 points autograded" in text
    assert (
        f"2 points to be graded by hand: compare your answer with the model answer in {where} "
        "(open course) or wait for your instructor." in text
    )
    assert "0 / 2" not in text and "5 points" not in text
    written = next(e for e in exercises if e.by_hand)
    assert (written.pending, written.score, written.problems) == (2.0, 0.0, [])
    page = feedback.read_text()
    assert waiting_shown_as_not_graded(page)
    assert "Score: 0.0 / 2.0" not in page
    # selfgrade's page also says where the model answers are
    assert f"compare your answer with the model answer in {where} (open course)" in page
