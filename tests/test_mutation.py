"""Mutation testing of every graded exercise: no wrong answer passes, no right answer fails.

The corpus (tests/mutants/) holds realistic wrong answers and differently written right answers
for every answer cell in solutions/. Each one is spliced into the solution notebook's answer cell
and graded; a wrong one must lose points in the test cells that should catch it and, when it is a
catalogued mistake, the feedback must name it; a right one must score full marks.

- ``test_corpus_covers_every_graded_exercise``: a new exercise without corpus entries fails here.
- ``test_corpus_in_process``: a quick run of the test cells in this process (seconds).
- ``test_mutants_with_nbgrader[<assignment>]`` (slow, one test per notebook, so that
  pytest-xdist spreads them over its workers): every variant submitted and autograded by stock
  nbgrader with the course's configuration, in a temporary course (``nbgrader_course`` in
  tests/conftest.py); prints the table (exercise, variant, points lost, caught by).
  MUTATION_ASSIGNMENTS=05_adam,06_adamw limits it to some notebooks.

Its control submissions are also each assignment's nbgrader round trip (generate_assignment,
autograde, generate_feedback, export): the full solution scores full marks in every cell, the
untouched release scores 0 in every cell, both get HTML feedback, and the export agrees.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest
from mutants.corpus import (
    MIN_RIGHT,
    Corpus,
    Entry,
    Right,
    Wrong,
    as_submission,
    exercise_test_cells,
    grade_id,
    graded_exercises,
    is_answer,
    is_test,
    run_in_process,
    splice,
    without_experiments,
)

from grading import batch
from grading.course import assignments

if TYPE_CHECKING:
    from conftest import Course

CORPUS = Corpus()
EXERCISES = graded_exercises()
COVERED = [(a, e, path) for a, e, path in EXERCISES if CORPUS.find(a, e) is not None]


def test_corpus_covers_every_graded_exercise() -> None:
    """Every answer cell in solutions/ has enough wrong and right answers in tests/mutants/."""
    problems = []
    shared = {e for _, e, _ in EXERCISES if sum(e == other for _, other, _ in EXERCISES) > 1}
    for assignment, exercise, _ in EXERCISES:
        entry = CORPUS.find(assignment, exercise)
        where = f"{exercise} ({assignment})"
        if entry is None:
            name = f"{exercise}_{assignment[:2]}" if exercise in shared else exercise
            problems.append(f"{where}: no corpus file (write tests/mutants/{name}.py)")
            continue
        if exercise in shared and entry.assignment is None:
            problems.append(
                f"{where}: several notebooks have an answer {exercise!r}; "
                f"{entry.source} must say ASSIGNMENT = {assignment!r}"
            )
        if len(entry.wrong) < entry.min_wrong:
            problems.append(f"{where}: {len(entry.wrong)} wrong answers, need {entry.min_wrong}")
        if len(entry.right) < MIN_RIGHT:
            problems.append(f"{where}: {len(entry.right)} right answers, need {MIN_RIGHT}")
    for entry in CORPUS.entries:
        for wrong in entry.wrong:
            if not wrong.caught_by:
                problems.append(f"{entry.source} / {wrong.name}: caught_by is empty")
    assert not problems, "mutation corpus incomplete:\n  " + "\n  ".join(problems)


# --- checking one graded variant ---------------------------------------------------------------
@dataclass
class Row:
    exercise: str
    kind: str  # "wrong" or "right"
    variant: str
    lost: float = 0.0
    caught_by: list[str] = field(default_factory=list)
    named: str = "-"  # "yes", "NO", or "-" when the variant is not a catalogued mistake
    problems: list[str] = field(default_factory=list)


def judge(
    entry: Entry, variant: Wrong | Right, cells: list[str], lost: dict[str, float], text: str
) -> Row:
    """Compare what grading did to a variant with what the corpus says it must do."""
    kind = "wrong" if isinstance(variant, Wrong) else "right"
    short = [c.removeprefix(f"test_{entry.exercise}_") for c in cells if lost.get(c, 0) > 0]
    row = Row(entry.exercise, kind, variant.name, sum(lost.values()), short)
    if isinstance(variant, Right):
        if row.lost:
            row.problems.append(f"a right answer lost points in {short}")
        return row
    if not row.lost:
        row.problems.append("a wrong answer scored full marks")
    for word in variant.caught_by:
        matching = [c for c in cells if word in c]
        if not matching:
            row.problems.append(f"no test cell of {entry.exercise} matches {word!r}")
        elif not any(lost.get(c, 0) > 0 for c in matching):
            row.problems.append(f"not caught by {word!r} ({', '.join(matching)})")
    if variant.mistake is not None:
        row.named = "yes" if variant.mistake in text else "NO"
        if row.named == "NO":
            row.problems.append(f"the feedback does not name {variant.mistake!r}")
    return row


def format_table(rows: list[Row]) -> str:
    lines = [
        f"{'exercise':<26} {'kind':<5} {'variant':<52} {'lost':>5} {'named':>5}  caught by",
        "-" * 130,
    ]
    for r in rows:
        flag = "  <-- " + "; ".join(r.problems) if r.problems else ""
        lines.append(
            f"{r.exercise:<26} {r.kind:<5} {r.variant[:52]:<52} {r.lost:>5g} {r.named:>5}  "
            f"{', '.join(r.caught_by) or '-'}{flag}"
        )
    wrong = [r for r in rows if r.kind == "wrong"]
    right = [r for r in rows if r.kind == "right"]
    caught = sum(1 for r in wrong if r.lost > 0)
    named = [r for r in wrong if r.named != "-"]
    lines += [
        "-" * 130,
        f"wrong answers caught: {caught}/{len(wrong)}; catalogued mistakes named: "
        f"{sum(r.named == 'yes' for r in named)}/{len(named)}; "
        f"right answers accepted: {sum(r.lost == 0 for r in right)}/{len(right)}",
    ]
    return "\n".join(lines)


# --- quick: in this process --------------------------------------------------------------------
@pytest.mark.parametrize(
    "assignment,exercise,path", COVERED, ids=[f"{a}/{e}" for a, e, _ in COVERED]
)
def test_corpus_in_process(assignment: str, exercise: str, path: Path) -> None:
    """The corpus against the notebook's own test cells (hidden parts too), without nbgrader."""
    notebook = nbformat.read(path, as_version=4)
    baseline = run_in_process(notebook, exercise)
    if any(baseline.values()):
        pytest.skip(f"{exercise}'s tests need more than the set-up cell; the slow test covers it")
    cells = exercise_test_cells(notebook, exercise)
    entry = CORPUS.find(assignment, exercise)
    rows = []
    for variant in [*entry.wrong, *entry.right]:
        errors = run_in_process(splice(notebook, exercise, variant), exercise)
        lost = {cell: 1.0 for cell, error in errors.items() if error}
        rows.append(judge(entry, variant, cells, lost, "\n".join(e or "" for e in errors.values())))
    bad = [r for r in rows if r.problems]
    assert not bad, "\n" + format_table(rows)


# --- slow: real nbgrader -----------------------------------------------------------------------
def _outputs_text(path: Path) -> dict[str, str]:
    """Error messages and printed text of every graded test cell of a graded notebook."""
    notebook = nbformat.read(path, as_version=4)
    texts = {}
    for cell in notebook.cells:
        if is_test(cell):
            parts = []
            for output in cell.get("outputs", []):
                parts.append(str(output.get("evalue", "")) + str(output.get("text", "")))
            texts[grade_id(cell)] = "\n".join(parts)
    return texts


def independent_groups(notebook, entries: dict[str, Entry]) -> list[list[str]]:
    """Exercises that may be mutated in the same submission: B depends on A when A's name
    appears in B's answer cell, B's test cells or B's corpus variants (or the other way round);
    dependent exercises share a group, and a submission mutates one exercise per group."""
    exercises = list(entries)
    sources = {}
    for exercise, entry in entries.items():
        texts = [c.source for c in notebook.cells if grade_id(c) == exercise]
        texts += [
            c.source
            for c in notebook.cells
            if grade_id(c) in exercise_test_cells(notebook, exercise)
        ]
        texts += [v.body + (v.cell or "") for v in [*entry.wrong, *entry.right]]
        sources[exercise] = "\n".join(texts)
    parent = {e: e for e in exercises}

    def root(e: str) -> str:
        while parent[e] != e:
            e = parent[e]
        return e

    for a in exercises:
        for b in exercises:
            if a != b and re.search(rf"(?<![\w.]){re.escape(a)}\b", sources[b]):
                parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for e in exercises:
        groups.setdefault(root(e), []).append(e)
    return list(groups.values())


# The control submissions. They are also the assignment's nbgrader round trip (generate,
# autograde, feedback, export), which used to be a test of its own.
FULL = "control-full"  # the whole solution notebook: must score full marks
BARE = "control"  # the solution without experiment cells (what the mutants are made from)
BLANK = "control-blank"  # the untouched release: must score 0 on every cell


def check_round_trip(course: Course, full: batch.Result, blank: batch.Result) -> list[str]:
    """What the round trip asked of nbgrader: the solution earns every autograded point in every
    test cell and each of its written answers (explain questions) waits for a hand grade, the
    untouched release earns nothing and leaves nothing waiting, both get HTML feedback, and the
    export says so (nbgrader's export counts a waiting answer as 0)."""
    problems = []
    if not full.ok or not blank.ok:
        return [f"{r.student} was not graded: {r.error}" for r in (full, blank) if not r.ok]
    if not full.auto_max:
        problems.append(f"the assignment has {full.auto_max} autograded points")
    lost = {
        cell: scores
        for cell, scores in full.cells.items()
        if cell not in full.manual and scores[0] != scores[1]
    }
    if lost or full.auto_score != full.auto_max:
        problems.append(f"the full solution scored {full.auto_score}/{full.auto_max}; lost {lost}")
    if set(full.pending) != full.manual:
        problems.append(
            f"written answers of the full solution that do not wait for a hand grade: "
            f"{sorted(full.manual - set(full.pending))}"
        )
    earned = {cell: scores[0] for cell, scores in blank.cells.items() if scores[0]}
    if earned or blank.score or blank.pending:
        problems.append(
            f"the untouched release earned {blank.score} points, in {earned}, and left "
            f"{sorted(blank.pending)} waiting for a hand grade"
        )
    # One feedback run for the controls (all of them start with "control").
    course.nbgrader("generate_feedback", course.assignment, "--student=control*")
    name = course.notebook_name.replace(".ipynb", ".html")
    for student in (FULL, BLANK):
        if not (course.root / "feedback" / student / course.assignment / name).is_file():
            problems.append(f"no HTML feedback for {student}")
    course.nbgrader("export")
    with open(course.root / "grades.csv") as handle:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    wanted = {FULL: full.auto_max, BLANK: 0.0}
    if {s: exported.get(s) for s in wanted} != wanted:
        problems.append(f"nbgrader export says {exported}, expected {wanted} for the controls")
    return problems


def grade_assignment(course: Course) -> tuple[list[Row], float, list[str]]:
    """Submit every corpus variant of an assignment's exercises; autograde; judge each one.

    Variants of independent exercises share a submission (each is judged on its own exercise's
    test cells), so a notebook needs as many submissions as its largest group has variants.
    Returns the rows, the seconds one autograde of the full solution notebook took, and the
    problems with the set-up itself (the controls: see ``check_round_trip``).
    """
    assignment = course.assignment
    release = course.generate()
    solution = nbformat.read(course.root / "solutions" / assignment / release.name, as_version=4)
    entries = {
        grade_id(c): CORPUS.find(assignment, grade_id(c))
        for c in solution.cells
        if is_answer(c) and CORPUS.find(assignment, grade_id(c)) is not None
    }

    # One autograde of the whole solution notebook, timed, on its own.
    course.submit(FULL, as_submission(solution))
    start = time.perf_counter()
    full = batch.grade_student(course.root, assignment, FULL, env=course.env, protect_packages=())
    seconds = time.perf_counter() - start

    queues = [
        [(e, v) for e in group for v in [*entries[e].wrong, *entries[e].right]]
        for group in independent_groups(solution, entries)
    ]
    submissions: dict[str, list[tuple[str, Wrong | Right]]] = {}
    course.submit(BARE, without_experiments(as_submission(solution)))
    course.submit(BLANK, nbformat.read(release, as_version=4))
    for number in range(max((len(q) for q in queues), default=0)):
        items = [q[number] for q in queues if number < len(q)]
        mutated = solution
        for exercise, variant in items:
            mutated = splice(mutated, exercise, variant)
        student = f"mutant-{number:03d}"
        submissions[student] = items
        course.submit(student, without_experiments(as_submission(mutated)))
    shutil.rmtree(course.root / "submitted" / FULL)
    results = {r.student: r for r in batch.grade_together(course.root, assignment, env=course.env)}

    setup_problems = check_round_trip(course, full, results[BLANK])
    control = results[BARE]
    if not control.ok or control.auto_score != control.auto_max:
        setup_problems.append(
            f"the solution without experiment cells scored {control.auto_score}/{control.auto_max} "
            f"({control.error or control.notes}); the mutation test cannot use it"
        )
    rows = []
    for student, items in submissions.items():
        result = results[student]
        texts = {}
        if result.ok:
            graded = next((course.root / "autograded" / student / assignment).glob("*.ipynb"))
            texts = _outputs_text(graded)
        for exercise, variant in items:
            entry = entries[exercise]
            cells = exercise_test_cells(solution, exercise)
            if not result.ok:
                rows.append(
                    Row(exercise, "?", variant.name, problems=[f"not graded: {result.error}"])
                )
                continue
            lost = {c: result.cells[c][1] - result.cells[c][0] for c in cells}
            text = "\n".join(texts.get(c, "") for c in cells)
            rows.append(judge(entry, variant, cells, lost, text))
    order = {e: i for i, e in enumerate(entries)}
    rows.sort(key=lambda r: (order.get(r.exercise, 0), r.kind != "wrong"))
    return rows, seconds, setup_problems


@pytest.mark.slow
@pytest.mark.parametrize("assignment", assignments())
def test_mutants_with_nbgrader(
    assignment: str,
    nbgrader_course: Callable[[str], Course],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every variant of every covered exercise of the assignment, graded by stock nbgrader,
    judged and tabulated; the controls make it the assignment's full nbgrader round trip."""
    only = os.environ.get("MUTATION_ASSIGNMENTS")  # e.g. "05_adam,06_adamw" while writing a corpus
    if only and assignment not in only.split(","):
        pytest.skip(f"MUTATION_ASSIGNMENTS={only}")
    start = time.perf_counter()
    rows, seconds, setup = grade_assignment(nbgrader_course(assignment))
    with capsys.disabled():
        print(
            f"\n\nMutation table of {assignment} ({time.perf_counter() - start:.0f} s in all; "
            f"one autograde of the solution notebook {seconds:.1f} s)\n{format_table(rows)}\n"
        )
    problems = list(setup)
    problems += [f"{r.exercise} / {r.variant}: {'; '.join(r.problems)}" for r in rows if r.problems]
    assert not problems, "\n".join(problems)
