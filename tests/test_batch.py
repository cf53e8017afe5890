"""The robust batch autograder and the sandbox recipe, with real nbgrader runs.

A class of students with broken submissions: the runner grades everyone, one by one, reports
each failure clearly and keeps going; stock nbgrader stops at the duplicated cell. The sandbox
wrapper (docs/sandbox/sandbox.sh) is exercised as far as this machine allows: no network,
a memory limit, a CPU-time limit, read-only course files.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from mutants.corpus import Right, as_submission, splice

from grading import batch
from grading.course import (
    REPO_ROOT,
    graded_points,
    grading_env,
    notebook_path,
    submission_folder,
)
from grading.course import make_course as course_for
from grading.course import submit as hand_in

ASSIGNMENT = "01_gradient_descent"
NAME = notebook_path(ASSIGNMENT).name
SOLUTION = nbformat.read(notebook_path(ASSIGNMENT), as_version=4)
# The solution's score: every autograded point (written answers wait for a person, counted 0).
FULL = sum(graded_points(SOLUTION, autograded_only=True).values())
MAXIMUM = sum(graded_points(SOLUTION).values())
SANDBOX = REPO_ROOT / "docs" / "sandbox" / "sandbox.sh"
ENV = grading_env(AUTOGRADE_TEST_CELL_TIMEOUT="20", AUTOGRADE_CELL_TIMEOUT="60")


def make_course(root: Path) -> Path:
    return course_for(root / "course", ASSIGNMENT, ENV)


def submit(course: Path, student: str, notebook=None, text: str | None = None) -> None:
    """Hand in ``notebook`` (the solution by default) as ``student``, or a file of ``text``."""
    if text is not None:
        (submission_folder(course, ASSIGNMENT, student) / NAME).write_text(text)
    else:
        hand_in(course, ASSIGNMENT, student, as_submission(notebook or SOLUTION))


def with_answer(exercise: str, body: str):
    return splice(SOLUTION, exercise, Right("", body))


def duplicated_answer():
    notebook = nbformat.from_dict(SOLUTION)
    index = next(
        i
        for i, c in enumerate(notebook.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "gd_step"
    )
    copy = nbformat.from_dict(notebook.cells[index])
    copy["id"] = "a-copy"
    notebook.cells.insert(index + 1, copy)
    return notebook


@pytest.mark.slow
def test_one_bad_submission_never_stops_the_batch(tmp_path: Path) -> None:
    """Broken JSON, a duplicated cell, a run over its time limit: reported; the rest graded."""
    course = make_course(tmp_path)
    submit(course, "a-broken-json", text="{ this is not a notebook")
    submit(course, "b-duplicated-cell", duplicated_answer())
    submit(
        course,
        "c-slow",
        with_answer(
            "max_stable_learning_rate",
            "import time\ntime.sleep(1000)\nreturn 2 / np.linalg.eigvalsh(A).max()",
        ),
    )
    submit(course, "d-solution")
    results = {
        r.student: r
        for r in batch.autograde(course, ASSIGNMENT, env=ENV, protect_packages=(), timeout=45)
    }
    report = "\n".join(batch.format_result(r) for r in results.values())
    print(report)
    assert results["a-broken-json"].status == "failed"
    assert (
        "NotJSONError" in results["a-broken-json"].error or "JSON" in results["a-broken-json"].error
    )
    assert results["b-duplicated-cell"].ok and results["b-duplicated-cell"].score == FULL, report
    assert any("duplicates" in n for n in results["b-duplicated-cell"].notes), report
    assert results["c-slow"].status == "timed out", report
    assert results["d-solution"].ok and results["d-solution"].score == FULL, report
    # Failed students leave no half-written grades behind; the others are in the gradebook.
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert gradebook.find_submission(ASSIGNMENT, "d-solution").score == FULL
        with pytest.raises(MissingEntry):
            gradebook.find_submission(ASSIGNMENT, "c-slow")

    # The command line prints the same and exits 1 because some students were not graded.
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "grading.batch",
            ASSIGNMENT,
            "--student",
            "b-duplicated-cell",
            "--student",
            "a-broken-json",
            "--trust-packages",
        ],
        cwd=course,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert "b-duplicated-cell" in cli.stdout and f"{FULL:g}/{MAXIMUM:g}" in cli.stdout
    assert "1 of 2 students graded" in cli.stdout


@pytest.mark.slow
def test_stock_nbgrader_fails_on_a_duplicated_cell(tmp_path: Path) -> None:
    """Why NormalizeCells exists: with nbgrader's own sanitizing, a duplicated cell is not graded
    (a KeyError with the course's add_missing_cells), or stops the whole run with a misleading
    'old version of the nbgrader metadata format' error (nbgrader's defaults)."""
    course = make_course(tmp_path)
    stock = (
        "\nc.Autograde.sanitize_preprocessors = ['nbgrader.preprocessors.ClearOutput', "
        "'nbgrader.preprocessors.DeduplicateIds', 'nbgrader.preprocessors.OverwriteKernelspec', "
        "'nbgrader.preprocessors.OverwriteCells', 'nbgrader.preprocessors.CheckCellMetadata']\n"
    )
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(stock)
    submit(course, "a-duplicated-cell", duplicated_answer())
    submit(course, "b-solution")

    def stock_autograde(*args: str) -> str:
        run = subprocess.run(
            [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, *args],
            cwd=course,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode != 0
        return run.stdout + run.stderr

    log = stock_autograde()
    assert "KeyError: 'grade_id'" in log
    assert not (course / "autograded" / "a-duplicated-cell").exists()
    shutil.rmtree(course / "autograded")
    log = stock_autograde("--OverwriteCells.add_missing_cells=False")
    assert "old version" in log and "metadata format" in log
    assert not (course / "autograded" / "b-solution").exists(), "the run went on"


# --- the sandbox -------------------------------------------------------------------------------
def sandbox_works() -> bool:
    if sys.platform != "linux":
        return False
    check = subprocess.run(["bash", str(SANDBOX), "--check"], capture_output=True, text=True)
    return check.returncode == 0


needs_sandbox = pytest.mark.skipif(not sandbox_works(), reason="no Linux namespaces here")


@pytest.mark.slow
@needs_sandbox
def test_sandbox_recipe(tmp_path: Path) -> None:
    """Through docs/sandbox/sandbox.sh: no network, a memory limit, a CPU-time limit, files
    outside the student's folders read-only; every student still gets their honest score."""
    course = make_course(tmp_path)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    port = server.getsockname()[1]
    connections: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connections.append(server.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    reach_out = (
        "import socket\n"
        "for host in ('127.0.0.1', '1.1.1.1'):\n"
        "    try:\n"
        f"        socket.create_connection((host, {port}), timeout=2).close()\n"
        "        print('connected to', host)\n"
        "    except OSError as error:\n"
        "        print('no network:', error)\n"
        "return 2 / np.linalg.eigvalsh(A).max()"
    )
    memory_bomb = "chunks = []\nwhile True:\n    chunks.append(bytearray(100_000_000))\n"
    cpu_burner = (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
    )
    write_config = (
        "try:\n"
        "    open('../../../nbgrader_config.py', 'a').write('# changed by a student')\n"
        "except OSError as error:\n"
        "    print(error)\n"
        "return 2 / np.linalg.eigvalsh(A).max()"
    )
    submit(course, "a-network", with_answer("max_stable_learning_rate", reach_out))
    submit(course, "b-memory-bomb", with_answer("max_stable_learning_rate", memory_bomb))
    submit(course, "c-cpu-burner", with_answer("max_stable_learning_rate", cpu_burner))
    submit(course, "d-writes-course-files", with_answer("max_stable_learning_rate", write_config))
    submit(course, "e-solution")
    env = dict(
        ENV,
        SANDBOX_MEMORY_MB="2048",
        SANDBOX_CPU_SECONDS="20",
        AUTOGRADE_TEST_CELL_TIMEOUT="60",
    )
    try:
        results = {
            r.student: r
            for r in batch.autograde(
                course,
                ASSIGNMENT,
                env=env,
                sandbox=SANDBOX,
                protect_packages=(),
                timeout=300,
                nbgrader_args=("--ResilientExecute.probe_timeout=5",),
            )
        }
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
    report = "\n".join(batch.format_result(r) for r in results.values())
    print(report)
    assert all(r.ok for r in results.values()), report
    assert not connections, "a sandboxed submission reached a server outside the sandbox"
    lr_cells = [c for c in results["e-solution"].cells if "max_stable" in c]

    def graded(student: str) -> str:
        """Everything the graded notebook's cells printed or raised."""
        path = next((course / "autograded" / student / ASSIGNMENT).glob("*.ipynb"))
        return "\n".join(
            str(output.get(key, ""))
            for cell in nbformat.read(path, as_version=4).cells
            for output in cell.get("outputs", [])
            for key in ("ename", "evalue", "text")
        )

    assert results["a-network"].score == FULL and "no network" in graded("a-network")
    assert "connected to" not in graded("a-network")
    # The memory bomb hits the address-space limit: its exercise scores 0, the rest is graded.
    assert "MemoryError" in graded("b-memory-bomb")
    autograded = list(graded_points(SOLUTION, autograded_only=True).items())
    lr_first = next(i for i, (cell, _) in enumerate(autograded) if "max_stable" in cell)
    lr_points = sum(points for cell, points in autograded if "max_stable" in cell)
    assert results["b-memory-bomb"].score == FULL - lr_points
    # The CPU burner ignores the interrupt; the CPU limit (or the time limit) ends it, and the
    # kernel with it: its exercise and the test cells after it score 0, those before it count.
    assert results["c-cpu-burner"].score == FULL - sum(p for _, p in autograded[lr_first:])
    assert any(word in graded("c-cpu-burner") for word in ("DeadKernelError", "UnresponsiveKernel"))
    # Course files are read-only inside the sandbox: the write failed, nothing to restore.
    assert "Read-only file system" in graded("d-writes-course-files")
    assert results["d-writes-course-files"].score == FULL
    assert "changed by a student" not in (course / "nbgrader_config.py").read_text()
    assert all(results["e-solution"].cells[c][0] == 1 for c in lr_cells)
    assert results["e-solution"].score == FULL


def test_container_recipe_command_line() -> None:
    """docs/sandbox/container.sh (no container engine on the test machine): the command it
    would run has no network, limits, a read-only course and only the given paths writable."""
    env = dict(os.environ, SANDBOX_DRY_RUN="1", SANDBOX_ENGINE="podman", SANDBOX_MEMORY_MB="3000")
    run = subprocess.run(
        ["bash", str(REPO_ROOT / "docs/sandbox/container.sh"), "-w", "/tmp", "--", "nbgrader", "x"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    command = run.stdout
    for part in (
        "podman run --rm --network=none --read-only",
        "--memory=3000m",
        "--pids-limit=512",
        f"--volume {REPO_ROOT}:{REPO_ROOT}:ro",
        "--volume /tmp:/tmp:rw",
        "optimizer-course-grader nbgrader x",
    ):
        assert part in command, command


def test_gradebook_check_sees_other_students_and_manual_scores(tmp_path: Path) -> None:
    """The runner's gradebook comparison: the student's own automatic scores may change; other
    students' rows and the student's manual scores may not."""
    import sqlite3

    def gradebook(path: Path, rows: list[tuple]) -> Path:
        db = sqlite3.connect(path)
        db.executescript(
            "CREATE TABLE student (id TEXT PRIMARY KEY);"
            "CREATE TABLE submitted_assignment (id TEXT, assignment_id TEXT, student_id TEXT, "
            "timestamp TEXT, extension TEXT);"
            "CREATE TABLE submitted_notebook (id TEXT, assignment_id TEXT, notebook_id TEXT, "
            "flagged INT, late_submission_penalty REAL);"
            "CREATE TABLE grade (id TEXT, notebook_id TEXT, cell_id TEXT, auto_score REAL, "
            "manual_score REAL, extra_credit REAL, needs_manual_grade INT);"
            "CREATE TABLE comment (id TEXT, notebook_id TEXT, cell_id TEXT, auto_comment TEXT, "
            "manual_comment TEXT);"
            "INSERT INTO student VALUES ('me'), ('you');"
            "INSERT INTO submitted_assignment VALUES ('sa1', 'a', 'me', NULL, NULL), "
            "('sa2', 'a', 'you', NULL, NULL);"
            "INSERT INTO submitted_notebook VALUES ('sn1', 'sa1', 'nb', 0, 0), "
            "('sn2', 'sa2', 'nb', 0, 0);"
        )
        db.executemany("INSERT INTO grade VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        db.commit()
        db.close()
        return path

    base = [("g1", "sn1", "c1", 0.0, None, None, 0), ("g2", "sn2", "c1", 1.0, None, None, 0)]
    before = gradebook(tmp_path / "before.db", base)
    mine = [("g1", "sn1", "c1", 1.0, None, None, 0), base[1]]
    assert batch.gradebook_changes(before, gradebook(tmp_path / "ok.db", mine), "me") == []
    others = [base[0], ("g2", "sn2", "c1", 0.0, None, None, 0)]
    assert batch.gradebook_changes(before, gradebook(tmp_path / "o.db", others), "me")
    manual = [("g1", "sn1", "c1", 0.0, 100.0, None, 0), base[1]]
    assert batch.gradebook_changes(before, gradebook(tmp_path / "m.db", manual), "me")
