"""Autograde a class robustly: one student at a time, and a bad submission never stops the batch.

    python -m grading.batch 01_gradient_descent                  # every submitted student
    python -m grading.batch 01_gradient_descent --student alice --student bob
    python -m grading.batch 01_gradient_descent --sandbox docs/sandbox/sandbox.sh

Run it from the course directory (the folder with ``nbgrader_config.py``) or pass ``--course``.
Stock ``nbgrader autograde ASSIGNMENT`` grades everyone in one process, and a submission it cannot
handle (a duplicated cell, a kernel that hangs for good) can stop the run. This runner instead:

- grades each student in their own ``nbgrader autograde --student`` process, with a wall-clock
  limit, optionally inside the sandbox wrapper of ``docs/sandbox/`` (no network, limited memory,
  CPU time and files, read-only code);
- grades into a working copy of the gradebook and keeps it only if the run changed nothing but
  this student's automatic scores (not another student's grades, not the assignment, not the
  student's manual scores); otherwise the gradebook is left as it was and the student is reported;
- gives each cell a time limit from the reference solution's own run (the assignment's source
  notebook, run once per batch the way grading runs it): ``--budget-factor`` times its time, at
  least ``--budget-floor`` seconds, never more than ``nbgrader_config.py``'s limits. With the
  course's ``ResilientExecute``, a student's function that was still running at a cell's limit is
  named in the feedback and each later call to it gets a third of a cell's limit, so an answer
  that never returns costs seconds per cell, not the whole grade;
- reports, per student, the score, what nbgrader and the course's preprocessors repaired (deleted,
  duplicated, retagged or edited cells), the cells that timed out, crashed or were tampered with,
  and the cause of any failure. The exit status is 1 when a student could not be graded.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat

from .feedback import is_waiting

# Error names the course's pipeline writes into a cell, and what they mean for a report.
CELL_PROBLEMS = {
    "CellTimeoutError": "timed out",
    "DeadKernelError": "the kernel died",
    "UnresponsiveKernelError": "could not be stopped",
    "NotRun": "not run (the kernel had stopped)",
    "TamperingDetected": "tampering detected",
}
DID_NOT_RETURN = "DidNotReturn"  # a function of the student's that did not return (preprocessors)
BUDGETS_ENV = "AUTOGRADE_CELL_BUDGETS"  # read by grading.preprocessors.ResilientExecute
BUDGET_FACTOR = 10.0
BUDGET_FLOOR_S = 15.0
# The course packages a student's code could rewrite to change how later students are graded.
PROTECTED_PACKAGES = ("autograder", "grading", "optimlab")
SOURCE_FOLDERS = ("solutions", "source")  # this course's source_directory, then nbgrader's default
REPAIR_LINE = re.compile(r"Submission (?P<student>\S+): (?P<note>.+)$")


@dataclass
class Result:
    """How grading one student went."""

    student: str
    status: str = "graded"  # graded | failed | timed out | tampering | not submitted
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    error: str = ""
    cells: dict[str, tuple[float, float]] = field(default_factory=dict)
    # Written answers (cells that are answer and graded: nbgrader's manually graded cells), and
    # those of them still waiting for a person's grade (grade_id -> points). nbgrader counts a
    # waiting answer as 0 in ``score``; it is not a 0, it is not graded yet. An unchanged
    # (unanswered) written answer is scored 0 by nbgrader itself and is not waiting.
    manual: set[str] = field(default_factory=set)
    pending: dict[str, float] = field(default_factory=dict)
    log: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "graded"

    @property
    def pending_points(self) -> float:
        return sum(self.pending.values())

    @property
    def auto_score(self) -> float:
        """Points earned in the autograded cells (the test cells)."""
        return sum(got for name, (got, _) in self.cells.items() if name not in self.manual)

    @property
    def auto_max(self) -> float:
        return sum(top for name, (_, top) in self.cells.items() if name not in self.manual)


def submitted_students(course: Path, assignment: str) -> list[str]:
    """Students with a submission of ``assignment`` in ``course/submitted``."""
    root = course / "submitted"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / assignment).is_dir())


def _nbgrader_command(assignment: str, student: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "nbgrader",
        "autograde",
        assignment,
        f"--student={student}",
        "--force",
        "--log-level=INFO",
        *extra,
    ]


def _run(
    command: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> tuple[int | None, str]:
    """Run a command in its own session; on timeout kill the whole session. None = timed out."""
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                output, _ = process.communicate(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        else:  # pragma: no cover - a process that survives SIGKILL
            output = ""
        return None, output or ""


# --- what a run changed in the gradebook -------------------------------------------------------
def _gradebook_rows(path: Path, student: str) -> tuple[set[tuple], set[tuple]]:
    """(rows no run for ``student`` may change, the student's own rows that must stay put).

    Own rows are keyed by cell so that a regrade that recreates them compares equal; of them only
    the manual fields are kept (automatic scores and comments are what a run is meant to write).
    """
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        own_assignments = {
            row[0]
            for row in connection.execute(
                "SELECT id FROM submitted_assignment WHERE student_id = ?", (student,)
            )
        }
        own_notebooks = {
            row[0]: row[1]
            for row in connection.execute(
                "SELECT id, notebook_id, assignment_id FROM submitted_notebook"
            )
            if row[2] in own_assignments
        }
        others: set[tuple] = set()
        own: set[tuple] = set()
        for table in tables:
            columns = [c[1] for c in connection.execute(f'PRAGMA table_info("{table}")')]
            for values in connection.execute(f'SELECT * FROM "{table}"'):
                row = dict(zip(columns, values, strict=True))
                if table == "grade" and row["notebook_id"] in own_notebooks:
                    key = (own_notebooks[row["notebook_id"]], row["cell_id"])
                    own.add(("grade", *key, row["manual_score"], row["extra_credit"]))
                elif table == "comment" and row["notebook_id"] in own_notebooks:
                    key = (own_notebooks[row["notebook_id"]], row["cell_id"])
                    own.add(("comment", *key, row["manual_comment"]))
                elif table == "submitted_notebook" and row["id"] in own_notebooks:
                    own.add(("submitted_notebook", row["notebook_id"], row["flagged"]))
                elif table == "student" and row["id"] == student:
                    own.add(("student", row["id"]))
                elif table == "submitted_assignment" and row["id"] in own_assignments:
                    own.add(("submitted_assignment", row["assignment_id"], row["extension"]))
                else:
                    others.add((table, *values))
        return others, own
    finally:
        connection.close()


def gradebook_changes(before: Path, after: Path, student: str) -> list[str]:
    """What grading ``student`` changed in the gradebook beyond their own automatic results."""
    others_before, own_before = _gradebook_rows(before, student)
    others_after, own_after = _gradebook_rows(after, student)
    problems = []
    if others_before != others_after:
        tables = sorted({row[0] for row in others_before ^ others_after})
        problems.append(
            f"rows of other students or of the assignment changed ({', '.join(tables)})"
        )
    lost = own_before - own_after
    if lost:
        problems.append(f"the student's manual scores or comments changed ({len(lost)} rows)")
    for row in own_after - own_before:
        if row[0] in ("grade", "comment") and any(v is not None for v in row[3:]):
            problems.append(f"a manual score or comment appeared for the student: {row}")
    return problems


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


# --- the course's own files: no run may change them -------------------------------------------
GRADING_DIRS = {"submitted", "autograded", "feedback", ".autograde", "exchange"}


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


class TrustedFiles:
    """A copy of the files that decide how grading works, to check and restore after each run:
    the nbgrader configuration, the assignment's instructor and release folders, and the
    ``autograder``, ``grading`` and ``optimlab`` packages. A student's code runs with the grader's
    permissions and could rewrite them to change how *later* students are graded."""

    def __init__(
        self, course: Path, assignment: str, packages: Sequence[str] = PROTECTED_PACKAGES
    ) -> None:
        self.roots: list[Path] = [course / "nbgrader_config.py", course / "nbgrader_config.json"]
        for folder in sorted(course.iterdir()):
            if (
                folder.is_dir()
                and folder.name not in GRADING_DIRS
                and (folder / assignment).is_dir()
            ):
                self.roots.append(folder / assignment)
        for package in packages:
            found = _package_dir(package)
            if found is not None:
                self.roots.append(found)
        self.saved = self._read()

    def _read(self) -> dict[Path, bytes | None]:
        files: dict[Path, bytes | None] = {}
        for root in self.roots:
            if root.is_dir():
                for path in sorted(root.rglob("*")):
                    if path.is_file() and "__pycache__" not in path.parts:
                        files[path] = path.read_bytes()
            else:
                files[root] = root.read_bytes() if root.is_file() else None
        return files

    def restore(self) -> list[str]:
        """Put every changed, deleted or added file back; return what was changed."""
        changed = []
        now = self._read()
        for path, content in self.saved.items():
            if now.get(path) != content:
                changed.append(str(path))
                if content is None:
                    path.unlink(missing_ok=True)
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(content)
        for path in set(now) - set(self.saved):
            changed.append(str(path))
            path.unlink(missing_ok=True)
        return changed


# --- reading what a run produced ---------------------------------------------------------------
def _read_scores(gradebook: Path, assignment: str, student: str, result: Result) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{gradebook}") as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return
        result.score = float(submission.score)
        result.max_score = float(submission.max_score)
        for notebook in submission.notebooks:
            answers = {cell.name for cell in notebook.notebook.solution_cells}
            for grade in notebook.grades:
                result.cells[grade.name] = (float(grade.score), float(grade.max_score))
                if grade.name in answers:
                    result.manual.add(grade.name)
                    if is_waiting(grade):
                        result.pending[grade.name] = float(grade.max_score)


def _read_cell_problems(course: Path, assignment: str, student: str) -> list[str]:
    notes = []
    for path in sorted((course / "autograded" / student / assignment).glob("*.ipynb")):
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception as error:  # noqa: BLE001 - an unreadable result is itself a note
            notes.append(f"{path.name}: could not read the graded notebook ({error})")
            continue
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            label = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}"
            for output in cell.get("outputs", []):
                problem = CELL_PROBLEMS.get(output.get("ename", ""))
                if problem and output.get("ename") != "NotRun":
                    notes.append(f"{label}: {problem}")
                elif output.get("ename") == DID_NOT_RETURN:
                    text = str(output.get("evalue", ""))
                    function = text.split("()", 1)[0]
                    if "within this cell's time limit" in text:
                        notes.append(f"{label}: {function}() did not return (stopped at the limit)")
                    else:
                        notes.append(f"{label}: {function}() did not return again (cut short)")
    return notes


# --- time limits from the reference run -------------------------------------------------------
def _cell_key(cell: nbformat.NotebookNode) -> str:
    """As grading.preprocessors.cell_key: the nbgrader id, else the notebook cell id."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"grade:{grade_id}" if grade_id else f"id:{cell.get('id', '')}"


def _cell_seconds(cell: nbformat.NotebookNode) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        busy = datetime.fromisoformat(timing["iopub.status.busy"].replace("Z", "+00:00"))
        idle = datetime.fromisoformat(timing["iopub.status.idle"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        return None
    return max(0.0, (idle - busy).total_seconds())


def reference_times(
    course: Path, assignment: str, env: Mapping[str, str] | None = None, timeout: int = 600
) -> dict[str, float]:
    """Run the assignment's source notebooks once, headless and with the grading environment,
    and return each code cell's seconds (keyed as ``_cell_key``); {} when there is no source."""
    from nbclient import NotebookClient

    folder = next(
        (
            course / name / assignment
            for name in SOURCE_FOLDERS
            if (course / name / assignment).is_dir()
        ),
        None,
    )
    if folder is None:
        return {}
    times: dict[str, float] = {}
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(dict(saved if env is None else env))
    os.environ.update({"NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "agg"})
    os.environ.setdefault("OPTIMLAB_FAST", "1")
    try:
        for path in sorted(folder.glob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            NotebookClient(
                notebook,
                timeout=timeout,
                kernel_name="python3",
                allow_errors=True,
                record_timing=True,
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()
            for cell in notebook.cells:
                seconds = _cell_seconds(cell) if cell.cell_type == "code" else None
                if seconds is not None:
                    times[_cell_key(cell)] = seconds
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return times


def budgets_from_times(
    times: Mapping[str, float], factor: float = BUDGET_FACTOR, floor: float = BUDGET_FLOOR_S
) -> dict[str, float]:
    """Each cell's time limit: ``factor`` times its reference seconds, at least ``floor``; a cell
    the reference does not have (one the student added) gets the largest of them ("*")."""
    budgets = {key: max(floor, factor * seconds) for key, seconds in times.items()}
    if budgets:
        budgets["*"] = max(budgets.values())
    return budgets


def _notes_from_log(log: str, student: str) -> list[str]:
    notes = []
    for line in log.splitlines():
        match = REPAIR_LINE.search(line)
        if match and match["student"] == student:
            notes.append(match["note"])
            continue
    return list(dict.fromkeys(notes))


def _failure_reason(log: str) -> str:
    """The most telling line of a failed nbgrader run: the last exception, else the last error."""
    raised = re.findall(r"^\s*([\w.]*(?:Error|Exception))(?::[ \t]*(.*))?$", log, re.M)
    if raised:
        name, message = raised[-1]
        return f"{name}: {message}".strip(": ")[:500]
    boring = ("Please see", "There was an error processing", "Removing failed")
    errors = [
        line.strip()
        for line in log.splitlines()
        if "ERROR" in line and not any(word in line for word in boring)
    ]
    return (errors or log.strip().splitlines() or ["no output"])[-1][:500]


# --- grading -----------------------------------------------------------------------------------
def grade_student(
    course: Path,
    assignment: str,
    student: str,
    *,
    timeout: float = 1800.0,
    sandbox: Path | None = None,
    env: Mapping[str, str] | None = None,
    nbgrader_args: Sequence[str] = (),
    protect_packages: Sequence[str] = PROTECTED_PACKAGES,
    budgets: Path | None = None,
) -> Result:
    """Autograde one student in a working copy of the gradebook; keep it only if it is clean.

    ``budgets`` is a JSON file of per-cell time limits (``write_budgets``)."""
    course = course.resolve()
    result = Result(student)
    if not (course / "submitted" / student / assignment).is_dir():
        result.status = "not submitted"
        return result
    trusted = TrustedFiles(course, assignment, protect_packages)
    gradebook = course / "gradebook.db"
    work = Path(tempfile.mkdtemp(prefix=f"autograde-{student}-"))
    (work / "home").mkdir(parents=True)
    before, copy = work / "gradebook.before.db", work / "gradebook.db"
    shutil.copy2(gradebook, before)
    shutil.copy2(gradebook, copy)
    digest = _digest(gradebook)
    graded_dir = course / "autograded" / student
    graded_dir.mkdir(parents=True, exist_ok=True)

    child_env = dict(os.environ if env is None else env)
    if budgets is not None:
        child_env[BUDGETS_ENV] = str(budgets)
    command = _nbgrader_command(
        assignment,
        student,
        f"--CourseDirectory.db_url=sqlite:///{copy}",
        "--NbGrader.logfile=",
        *nbgrader_args,
    )
    if sandbox is not None:
        home = work / "home"
        child_env.update(
            HOME=str(home),
            TMPDIR=str(home),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            IPYTHONDIR=str(home / "ipython"),
            MPLCONFIGDIR=str(home / "matplotlib"),
        )
        command = ["bash", str(sandbox), "-w", str(graded_dir), "-w", str(work), "--", *command]

    start = time.perf_counter()
    code, log = _run(command, course, child_env, timeout)
    result.seconds = time.perf_counter() - start
    result.log = log
    result.notes = _notes_from_log(log, student)

    tampered = [f"{path} was changed (restored)" for path in trusted.restore()]
    if _digest(gradebook) != digest:
        tampered.append("the course's gradebook file was modified during the run")
    if code is not None and copy.exists():
        try:
            tampered += gradebook_changes(before, copy, student)
        except sqlite3.Error as error:
            tampered.append(f"the working gradebook is unreadable ({error})")
    notebooks = list((graded_dir / assignment).glob("*.ipynb"))
    if tampered:
        result.status = "tampering"
        result.error = (
            "the run changed the course's files or gradebook: "
            + "; ".join(tampered)
            + ". The gradebook was left as it was before; grade this submission by hand."
        )
    elif code is None:
        result.status = "timed out"
        result.error = f"grading took longer than {timeout:.0f} s and was stopped"
    elif code != 0 or not notebooks:
        result.status = "failed"
        result.error = _failure_reason(log)
    if result.ok:
        shutil.copy2(copy, gradebook)
        _read_scores(gradebook, assignment, student, result)
        result.notes += _read_cell_problems(course, assignment, student)
    else:
        shutil.copy2(before, gradebook)
    shutil.rmtree(work, ignore_errors=True)
    return result


def grade_together(
    course: Path,
    assignment: str,
    *,
    timeout: float = 3600.0,
    env: Mapping[str, str] | None = None,
) -> list[Result]:
    """Fast path for trusted submissions (tests): one nbgrader process for every student, then
    each student it could not grade is graded again on their own by ``grade_student``."""
    course = course.resolve()
    students = submitted_students(course, assignment)
    for student in students:
        shutil.rmtree(course / "autograded" / student / assignment, ignore_errors=True)
    child_env = dict(os.environ if env is None else env)
    start = time.perf_counter()
    command = _nbgrader_command(assignment, "*", "--NbGrader.logfile=")
    _, log = _run(command, course, child_env, timeout)
    elapsed = time.perf_counter() - start
    results = []
    for student in students:
        if list((course / "autograded" / student / assignment).glob("*.ipynb")):
            result = Result(student, seconds=elapsed / max(len(students), 1))
            result.notes = _notes_from_log(log, student)
            _read_scores(course / "gradebook.db", assignment, student, result)
            result.notes += _read_cell_problems(course, assignment, student)
        else:
            result = grade_student(course, assignment, student, env=env, protect_packages=())
        results.append(result)
    return results


def autograde(
    course: Path,
    assignment: str,
    students: Iterable[str] | None = None,
    *,
    timeout: float = 1800.0,
    sandbox: Path | None = None,
    env: Mapping[str, str] | None = None,
    nbgrader_args: Sequence[str] = (),
    protect_packages: Sequence[str] = PROTECTED_PACKAGES,
    on_result=None,
    budget_factor: float | None = BUDGET_FACTOR,
    budget_floor: float = BUDGET_FLOOR_S,
    on_budgets=None,
) -> list[Result]:
    """Grade ``students`` (default: everyone who submitted) one by one; never stops early.

    Unless ``budget_factor`` is None, the source notebook is run once first and each cell's time
    limit comes from its time there (``budgets_from_times``); ``on_budgets`` gets the limits."""
    course = Path(course).resolve()
    if not (course / "gradebook.db").exists():
        raise FileNotFoundError(
            f"{course / 'gradebook.db'} does not exist: run `nbgrader generate_assignment "
            f"{assignment}` in {course} first"
        )
    names = list(students) if students is not None else submitted_students(course, assignment)
    budgets_file = None
    if budget_factor is not None and names:
        try:
            limits = budgets_from_times(
                reference_times(course, assignment, env), budget_factor, budget_floor
            )
        except Exception as error:  # noqa: BLE001 - without budgets the config's limits apply
            limits = {}
            print(
                f"The reference run failed ({type(error).__name__}: {error}); every cell keeps "
                "nbgrader_config.py's time limit.",
                file=sys.stderr,
            )
        if limits:
            handle, name = tempfile.mkstemp(prefix=f"budgets-{assignment}-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(limits, file)
            budgets_file = Path(name)
        if on_budgets is not None:
            on_budgets(limits)
    results = []
    try:
        for student in names:
            try:
                result = grade_student(
                    course,
                    assignment,
                    student,
                    timeout=timeout,
                    sandbox=sandbox,
                    env=env,
                    nbgrader_args=nbgrader_args,
                    protect_packages=protect_packages,
                    budgets=budgets_file,
                )
            except Exception as error:  # noqa: BLE001 - one student's problem never stops the batch
                result = Result(student, status="failed", error=f"{type(error).__name__}: {error}")
            results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        if budgets_file is not None:
            budgets_file.unlink(missing_ok=True)
    return results


def describe_budgets(limits: Mapping[str, float]) -> str:
    """One line about the per-cell time limits taken from the reference run."""
    if not limits:
        return "Cell time limits: nbgrader_config.py's (no reference run)."
    tests = [v for k, v in limits.items() if k.startswith("grade:test")]
    others = [v for k, v in limits.items() if k != "*" and not k.startswith("grade:test")]
    parts = [f"{len(limits) - 1} cells"]
    if tests:
        parts.append(f"test cells {min(tests):.0f}-{max(tests):.0f} s")
    if others:
        parts.append(f"other cells {min(others):.0f}-{max(others):.0f} s")
    return (
        "Cell time limits from the reference run (capped by nbgrader_config.py's): "
        + ", ".join(parts)
        + "."
    )


HEADER = f"{'student':<20} {'status':<20} {'score':>9} {'by hand':>12} {'time':>7}"
GRADE_BY_HAND = "grade them in formgrader (Manual Grading), then generate the feedback"


def format_result(result: Result) -> str:
    """One line per student under ``HEADER`` (the score counts a written answer that waits for
    a person's grade as 0, as nbgrader does; "by hand" says how many points wait), then notes."""
    score = (
        f"{result.score:g}/{result.max_score:g}"
        if result.score is not None and result.max_score is not None
        else "-"
    )
    waiting = f"{result.pending_points:g} pending" if result.pending else ""
    lines = [
        f"{result.student:<20} {result.status:<20} {score:>9} {waiting:>12} {result.seconds:6.1f}s"
    ]
    if result.pending:
        names = ", ".join(f"{name} ({points:g})" for name, points in sorted(result.pending.items()))
        lines.append(f"{'':<22}- written answers to grade by hand: {names}")
    lines += [f"{'':<22}- {note}" for note in result.notes]
    if result.error:
        lines.append(f"{'':<22}! {result.error}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grading.batch",
        description="Autograde every submission of an assignment, one student at a time.",
    )
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path, default=Path.cwd(), help="course directory")
    parser.add_argument("--student", action="append", help="grade only this student (repeat)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per student")
    parser.add_argument(
        "--sandbox", type=Path, help="wrapper script to run nbgrader in (docs/sandbox/sandbox.sh)"
    )
    parser.add_argument(
        "--budget-factor",
        type=float,
        default=BUDGET_FACTOR,
        help="each cell may take this many times the reference solution's time (default "
        f"{BUDGET_FACTOR:g})",
    )
    parser.add_argument(
        "--budget-floor",
        type=float,
        default=BUDGET_FLOOR_S,
        help=f"...but at least this many seconds (default {BUDGET_FLOOR_S:g})",
    )
    parser.add_argument(
        "--no-budgets",
        action="store_true",
        help="skip the reference run: every cell gets nbgrader_config.py's time limit",
    )
    parser.add_argument(
        "--trust-packages",
        action="store_true",
        help="do not check the autograder, grading and optimlab packages for changes after each "
        "student (while developing them)",
    )
    args = parser.parse_args(argv)
    header = HEADER
    if args.no_budgets:
        print(header)
    results = autograde(
        args.course,
        args.assignment,
        args.student,
        timeout=args.timeout,
        sandbox=args.sandbox.resolve() if args.sandbox else None,
        protect_packages=() if args.trust_packages else PROTECTED_PACKAGES,
        on_result=lambda r: print(format_result(r), flush=True),
        budget_factor=None if args.no_budgets else args.budget_factor,
        budget_floor=args.budget_floor,
        on_budgets=lambda limits: print(describe_budgets(limits) + "\n" + header, flush=True),
    )
    failed = [r.student for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} students graded.", end=" ")
    print(f"Not graded: {', '.join(failed)}" if failed else "")
    pending = summarize_pending(results)
    if pending:
        print(pending)
    return 1 if failed else 0


def summarize_pending(results: Sequence[Result]) -> str:
    """What the instructor still has to grade by hand ("" when nothing waits)."""
    waiting = [r for r in results if r.ok and r.pending]
    if not waiting:
        return ""
    points = sum(r.pending_points for r in waiting)
    return (
        f"Written answers wait for a grade by hand: {len(waiting)} of {len(results)} students, "
        f"{points:g} points in all (the scores above count them as 0 until then); "
        f"{GRADE_BY_HAND}."
    )


if __name__ == "__main__":
    sys.exit(main())
