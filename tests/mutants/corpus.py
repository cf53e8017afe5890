"""The mutation corpus: wrong and right answers for every graded exercise, and how to use them.

Each exercise has a small module ``tests/mutants/<grade_id>.py`` (the answer cell's grade_id,
which is also the function's name) with

    EXERCISE = "adam_step"
    WRONG = [Wrong("no bias correction", '''<body>''', caught_by=("trajectory",),
                   mistake="Adam without bias correction"), ...]
    RIGHT = [Right("PyTorch's algebra", '''<body>'''), ...]

A body replaces what is between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in the answer
cell, so the def line and docstring stay the notebook's own (``cell=`` replaces the whole cell
instead). ``caught_by`` lists words of the test cells that must take points off (``"values"``
matches ``test_adam_step_values``); ``mistake`` is the name of the catalogued mistake the
feedback must name. When two notebooks use the same answer id (``train_epoch`` in 02 and 10),
the file also says ``ASSIGNMENT = "11_mnist_showdown"``. Adding an exercise means adding one
such file.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pkgutil
import re
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from grading.course import SOLUTIONS
from optimlab import registry

HERE = Path(__file__).resolve().parent
# Update rules and optimizer classes need five wrong answers; every other exercise three.
OPTIMIZERS = {info.step_function for info in registry.OPTIMIZERS.values()} | {
    info.name
    for info in registry.OPTIMIZERS.values()
    if info.state  # notebook 09's classes
}
MIN_WRONG_OPTIMIZER, MIN_WRONG_OTHER, MIN_RIGHT = 5, 3, 2


@dataclass(frozen=True)
class Wrong:
    """A realistic wrong answer."""

    name: str
    body: str = ""
    caught_by: tuple[str, ...] = ()
    mistake: str | None = None
    cell: str | None = None


@dataclass(frozen=True)
class Right:
    """A correct answer written differently from the solution."""

    name: str
    body: str = ""
    cell: str | None = None


@dataclass
class Entry:
    exercise: str
    wrong: list[Wrong] = field(default_factory=list)
    right: list[Right] = field(default_factory=list)
    assignment: str | None = None  # needed when several notebooks use the same answer id
    source: str = ""

    @property
    def min_wrong(self) -> int:
        return MIN_WRONG_OPTIMIZER if self.exercise in OPTIMIZERS else MIN_WRONG_OTHER


class Corpus:
    """Every corpus file in this package (``tests/mutants/*.py`` but this one)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        package = __name__.rsplit(".", 1)[0]
        for info in pkgutil.iter_modules([str(HERE)]):
            if info.name == "corpus" or info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package}.{info.name}")
            entry = Entry(
                module.EXERCISE,
                list(module.WRONG),
                list(module.RIGHT),
                getattr(module, "ASSIGNMENT", None),
                f"tests/mutants/{info.name}.py",
            )
            clash = self.find(entry.assignment, entry.exercise, exact=True)
            assert clash is None, f"{entry.source} and {clash.source} cover the same exercise"
            self.entries.append(entry)

    def find(self, assignment: str | None, exercise: str, exact: bool = False) -> Entry | None:
        """The entry for an exercise of an assignment: one naming the assignment first."""
        for entry in self.entries:
            if entry.exercise == exercise and entry.assignment == assignment:
                return entry
        if exact:
            return None
        for entry in self.entries:
            if entry.exercise == exercise and entry.assignment is None:
                return entry
        return None


# --- the notebooks -----------------------------------------------------------------------------
def grade_id(cell: Any) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_answer(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("solution"))


def is_test(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def solution_notebooks() -> list[Path]:
    return sorted(SOLUTIONS.glob("*/*.ipynb"))


def graded_exercises() -> list[tuple[str, str, Path]]:
    """(assignment, answer cell's grade_id, notebook) for every answer cell in solutions/."""
    found = []
    for path in solution_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            if is_answer(cell):
                found.append((path.parent.name, grade_id(cell), path))
    return found


def exercise_of(test_id: str, exercises: list[str]) -> str | None:
    """The exercise a test cell belongs to: the longest answer id in ``test_<answer>_...``."""
    matches = [e for e in exercises if test_id.lower().startswith(f"test_{e.lower()}_")]
    return max(matches, key=len) if matches else None


def exercise_test_cells(notebook: Any, exercise: str) -> list[str]:
    answers = [grade_id(c) for c in notebook.cells if is_answer(c)]
    return [
        grade_id(c)
        for c in notebook.cells
        if is_test(c) and exercise_of(grade_id(c), answers) == exercise
    ]


def splice(notebook: Any, exercise: str, variant: Wrong | Right) -> Any:
    """A copy of ``notebook`` whose answer cell for ``exercise`` holds ``variant``."""
    copy = nbformat.from_dict(notebook)
    for cell in copy.cells:
        if is_answer(cell) and grade_id(cell) == exercise:
            cell.source = splice_source(cell.source, variant)
            return copy
    raise KeyError(f"no answer cell {exercise!r} in the notebook")


def splice_source(source: str, variant: Wrong | Right) -> str:
    if variant.cell is not None:
        return textwrap.dedent(variant.cell).strip() + "\n"
    match = re.search(
        r"^(?P<indent>[ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION[ \t]*$",
        source,
        re.MULTILINE | re.DOTALL,
    )
    if match is None:
        raise ValueError("the answer cell has no ### BEGIN SOLUTION / ### END SOLUTION block")
    body = textwrap.indent(textwrap.dedent(variant.body).strip() + "\n", match["indent"])
    return source[: match.start()] + body.rstrip("\n") + source[match.end() :]


def as_submission(notebook: Any) -> Any:
    """What a student would hand in: solution markers and hidden tests are the instructor's own;
    nbgrader restores the test cells anyway, so they are submitted as they are."""
    copy = nbformat.from_dict(notebook)
    for cell in copy.cells:
        if is_answer(cell):
            cell.source = re.sub(
                r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", cell.source, flags=re.M
            )
    return copy


def setup_cells(notebook: Any) -> set[int]:
    """Indices of the ungraded code cells before the first answer cell: the notebook's set-up
    (imports, given helpers, data) that the exercises and their tests may rely on."""
    first_answer = next(
        (i for i, c in enumerate(notebook.cells) if is_answer(c)), len(notebook.cells)
    )
    return {
        i
        for i, c in enumerate(notebook.cells[:first_answer])
        if c.cell_type == "code" and "nbgrader" not in c.get("metadata", {})
    }


def without_experiments(notebook: Any) -> Any:
    """Drop the ungraded code cells after the set-up: a student may delete them, no test
    depends on them, and they are most of a notebook's run time."""
    copy = nbformat.from_dict(notebook)
    keep = setup_cells(copy)
    copy.cells = [
        c
        for i, c in enumerate(copy.cells)
        if c.cell_type != "code" or i in keep or "nbgrader" in c.get("metadata", {})
    ]
    return copy


# --- a quick in-process run (the slow tests use real nbgrader) ---------------------------------
def _python_only(source: str) -> str:
    return "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )


HIDDEN_PART = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n(.*?)^[ \t]*### END HIDDEN TESTS", re.M | re.S
)


def _diagnosis(source: str, namespace: dict[str, Any]) -> str:
    """What the grader adds when a visible part fails: the hidden part's named mistake."""
    hidden = HIDDEN_PART.search(source)
    if hidden is None:
        return ""
    try:
        exec(compile(hidden.group(1), "<hidden>", "exec"), namespace)  # noqa: S102
    except Exception as error:  # noqa: BLE001 - the diagnosis is the error
        if "known mistake" in str(error):
            return f"\nThe hidden tests recognise this answer: {error}"
    return ""


def run_in_process(notebook: Any, exercise: str) -> dict[str, str | None]:
    """Run the set-up, every answer cell and this exercise's test cells (hidden parts included)
    in this process: {test cell id: None if it passed, else the error}."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    results: dict[str, str | None] = {}
    wanted = set(exercise_test_cells(notebook, exercise))
    setup = setup_cells(notebook)
    sink = io.StringIO()
    saved = dict(os.environ)
    os.environ.update(OPTIMLAB_STATIC="1", OPTIMLAB_FAST="1", MPLBACKEND="agg")
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for index, cell in enumerate(notebook.cells):
                    if cell.cell_type != "code":
                        continue
                    test = is_test(cell) and grade_id(cell) in wanted
                    if not (index in setup or is_answer(cell) or test):
                        continue
                    try:
                        exec(
                            compile(_python_only(cell.source), f"<{grade_id(cell)}>", "exec"),
                            namespace,
                        )  # noqa: S102
                    except Exception as error:  # noqa: BLE001 - the error is the result
                        if test:
                            results[grade_id(cell)] = f"{type(error).__name__}: {error}"
                            results[grade_id(cell)] += _diagnosis(cell.source, namespace)
                        elif not is_answer(cell):
                            raise
                        continue
                    if test:
                        results[grade_id(cell)] = None
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return results
