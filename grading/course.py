"""The course's notebooks as data: find the assignments, execute a notebook, read its results."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO_ROOT / "solutions"
RELEASE = REPO_ROOT / "notebooks"
# The grade_id of every manually graded written answer starts so (docs/maintainers.md).
EXPLAIN_PREFIX = "explain_"


def assignments() -> list[str]:
    """Names of every assignment (``01_gradient_descent``, ...), in course order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def notebook_path(assignment: str, release: bool = False) -> Path:
    """The instructor (or, with release=True, the student) notebook of an assignment."""
    folder = (RELEASE if release else SOLUTIONS) / assignment
    notebooks = sorted(folder.glob("*.ipynb"))
    if len(notebooks) != 1:
        raise FileNotFoundError(f"expected one notebook in {folder}, found {len(notebooks)}")
    return notebooks[0]


def make_course(
    root: Path,
    assignment: str,
    env: Mapping[str, str] | None = None,
    generate: bool = True,
    source: Path | None = None,
) -> Path:
    """A throwaway nbgrader course in ``root``: the course's configuration and one assignment's
    source (``solutions/<assignment>``, or the folder ``source``: a notebook built by a test);
    with ``generate``, ``nbgrader generate_assignment`` has made its release and gradebook.
    Returns ``root``."""
    shutil.copytree(source or SOLUTIONS / assignment, root / "solutions" / assignment)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    if generate:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "nbgrader",
                "generate_assignment",
                assignment,
                "--log-level=ERROR",
            ],
            cwd=root,
            env=None if env is None else dict(env),
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{run.stderr}")
    return root


def grading_env(**settings: str) -> dict[str, str]:
    """The environment of a grading run in a throwaway course: this repository on the kernel's
    path (hidden tests import ``autograder`` from it), this Python's scripts first on PATH
    (nbgrader runs ``alembic``), plus ``settings`` (e.g. ``AUTOGRADE_TEST_CELL_TIMEOUT="20"``)."""
    scripts = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))
    return dict(os.environ, PYTHONPATH=str(REPO_ROOT), PATH=scripts, **settings)


def submission_folder(course: Path, assignment: str, student: str) -> Path:
    """``student``'s (new, empty) submission folder for ``assignment`` in ``course``."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def submit(
    course: Path, assignment: str, student: str, notebook: nbformat.NotebookNode | Path
) -> Path:
    """Hand in ``notebook`` (a notebook, or a file copied as it is) as ``student``'s submission,
    under the name of the course's source notebook; return its path."""
    (source,) = (course / "solutions" / assignment).glob("*.ipynb")
    target = submission_folder(course, assignment, student) / source.name
    if isinstance(notebook, Path):
        shutil.copy(notebook, target)
    else:
        nbformat.write(notebook, target)
    return target


def is_graded_test(cell: nbformat.NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_written_answer(cell: nbformat.NotebookNode) -> bool:
    """A manually graded answer: a cell that is both an answer (solution) and graded. The
    course's are markdown "explain" questions (grade_id ``explain_...``); nbgrader cannot score
    them, so a person does, in formgrader."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and bool(meta.get("solution"))


def graded_points(
    notebook: nbformat.NotebookNode, autograded_only: bool = False
) -> dict[str, float]:
    """The points of each graded cell by grade_id: test cells and written answers (only the test
    cells with ``autograded_only``)."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: float(cell.metadata["nbgrader"].get("points") or 0)
        for cell in notebook.cells
        if is_graded_test(cell) or (is_written_answer(cell) and not autograded_only)
    }


@dataclass
class CellResult:
    """What one code cell did when it ran."""

    index: int
    grade_id: str | None
    graded_test: bool
    errors: list[str] = field(default_factory=list)
    stderr: str = ""
    images: int = 0


@dataclass
class Execution:
    """A notebook run: seconds taken and what each code cell did.

    ``hook_errors`` are the errors of the code cells that ``execute`` ran before and after the
    notebook (``before``/``after``); those cells are not in ``notebook`` or ``cells``."""

    path: Path
    seconds: float
    cells: list[CellResult]
    notebook: nbformat.NotebookNode
    hook_errors: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[tuple[int, str]]:
        return [(c.index, e) for c in self.cells for e in c.errors]


def _cell_errors(cell: nbformat.NotebookNode) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]


def read_execution(
    path: Path,
    notebook: nbformat.NotebookNode,
    seconds: float,
    hook_errors: Sequence[str] = (),
) -> Execution:
    """What each code cell of an executed notebook did (its outputs are the record)."""
    cells = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        result = CellResult(
            index,
            cell.metadata.get("nbgrader", {}).get("grade_id"),
            is_graded_test(cell),
        )
        result.errors = _cell_errors(cell)
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                result.stderr += output.text
            elif output.output_type in ("display_data", "execute_result"):
                result.images += int("image/png" in output.get("data", {}))
        cells.append(result)
    return Execution(path, seconds, cells, notebook, list(hook_errors))


def execute(
    path: Path,
    timeout: int = 600,
    env: dict[str, str] | None = None,
    *,
    before: str | None = None,
    after: str | None = None,
) -> Execution:
    """Run a notebook top to bottom in its own folder, headless, letting errors through.

    ``before`` and ``after`` are code run in the same kernel before the first cell and after the
    last (instrumentation, such as a hook that inspects every plot); they are left out of the
    result, except for their errors (``Execution.hook_errors``)."""
    notebook = nbformat.read(path, as_version=4)
    added_before = [nbformat.v4.new_code_cell(before)] if before is not None else []
    added_after = [nbformat.v4.new_code_cell(after)] if after is not None else []
    notebook.cells = [*added_before, *notebook.cells, *added_after]
    saved = dict(os.environ)
    os.environ.update({"OPTIMLAB_STATIC": "1", "OPTIMLAB_FAST": "1", "MPLBACKEND": "agg"})
    os.environ.update(env or {})
    try:
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(saved)
    hook_errors = [e for cell in [*added_before, *added_after] for e in _cell_errors(cell)]
    notebook.cells = notebook.cells[len(added_before) : len(notebook.cells) - len(added_after)]
    return read_execution(path, notebook, seconds, hook_errors)
