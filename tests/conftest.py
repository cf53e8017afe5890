"""Shared fixtures: one execution per notebook per run, a temporary nbgrader course, the runner.

Quick and full runs
-------------------
``pytest`` alone runs the quick suite: pyproject's addopts deselect the ``slow`` marker (notebook
executions, nbgrader runs, the browser, Binder, the hub). The full suite (the README's
``scripts/run-tests.sh``) selects everything: ``pytest --full``, or ``OPTIMLAB_FULL_TESTS=1
pytest``, or ``pytest -m "slow or not slow"``. Naming a test (``path::name``) runs it either
way. A test is slow when it is marked so, when it uses one of the fixtures below that execute
notebooks or run nbgrader, or when it is a hub test.

One execution per notebook
--------------------------
``notebook_runs.solution(assignment)`` and ``notebook_runs.release(assignment)`` execute a notebook
the first time any test asks for it in this run and give every later caller the same result:
clean outputs, errors, stderr in test cells, plots drawn, and (solutions) what the accessibility
hook found in each plot. The solution's run carries that hook, so one run serves every check.

Under pytest-xdist each worker is its own process, so an in-memory cache would run a notebook
once per worker. The cache is therefore a folder shared by the workers of this run (the parent of
the worker's base temporary folder, ``pytest-of-<user>/pytest-<N>/``; without xdist, the base
temporary folder itself, so nothing is shared between runs). A file lock per notebook (``filelock``,
which PyTorch requires, so it is always installed) makes the first worker that asks execute the
notebook while any other one waits and then reads the result; a lock dies with its process, so a
crashed worker never blocks the others. This works with any ``--dist`` mode and without xdist.
A failed execution is recorded too, so every consumer fails with the same message instead of
running the notebook again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from filelock import FileLock

from grading.course import (
    Execution,
    execute,
    grading_env,
    make_course,
    notebook_path,
    read_execution,
    submit,
)

FULL_ENV = "OPTIMLAB_FULL_TESTS"
# Using any of these fixtures makes a test slow (it executes notebooks or runs nbgrader).
SLOW_FIXTURES = {"notebook_runs", "nbgrader_course"}


# --- quick by default, everything on request ---------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        help=f"run every test, slow ones included (as {FULL_ENV}=1 or -m 'slow or not slow')",
    )


def pytest_configure(config: pytest.Config) -> None:
    # pyproject's addopts say -m "not slow"; a full run drops that selection, and so does naming
    # a test (tests/test_x.py::test_y): a developer who names a slow test wants it run. Any other
    # -m given on the command line replaces the addopts' one and is kept as it is.
    full = config.getoption("--full") or os.environ.get(FULL_ENV, "") not in ("", "0")
    named = any("::" in str(arg) for arg in config.args)
    if (full or named) and config.option.markexpr == "not slow":
        config.option.markexpr = ""


# Rough seconds each test of a slow file takes in a full run on 2 cores (November 2026), only to
# order the run: the scheduling below needs their relative sizes, not exact times.
EXPECTED_SECONDS = {
    "test_hub.py": 570,  # a whole term on JupyterHub, with two fresh environments
    "test_binder.py": 420,  # a fresh Binder environment, then every student notebook
    "test_mutation.py": 90,  # one notebook's whole corpus through nbgrader
    "test_thread_choice.py": 60,
    "test_browser.py": 30,
}
SLOW_SECONDS = 15  # any other slow test (a notebook's execution and its checks)
QUICK_SECONDS = 0.1


def expected_seconds(item: pytest.Item) -> float:
    if not item.get_closest_marker("slow"):
        return QUICK_SECONDS
    return EXPECTED_SECONDS.get(item.path.name, SLOW_SECONDS)


def worksteal_chunks(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """The order in which ``--dist worksteal`` gives each worker an equal share of the work.

    Worksteal hands worker k the k-th contiguous block of the collection (block sizes differ by
    at most one test), and an idle worker later steals the tail of a busy one's queue. Sorting the
    slowest tests to the front would put them all in the first block, so the hub and Binder tests
    would run one after the other on one worker. Instead the slow tests are dealt out, longest
    first, each to the block with the least work so far; quick tests fill the blocks up to their
    sizes. Each block runs its slow tests first, so the stealable tail is quick tests.
    """
    sizes, left = [], len(items)
    for k in range(workers):  # as xdist's WorkStealingScheduling.check_schedule splits
        sizes.append(left // (workers - k))
        left -= sizes[-1]
    slow = sorted(
        (item for item in items if item.get_closest_marker("slow")),
        key=expected_seconds,
        reverse=True,  # stable: collection order among equals
    )
    blocks: list[list[pytest.Item]] = [[] for _ in range(workers)]
    work = [0.0] * workers
    for item in slow:
        open_blocks = [k for k in range(workers) if len(blocks[k]) < sizes[k]]
        k = min(open_blocks, key=lambda k: (work[k], k))
        blocks[k].append(item)
        work[k] += expected_seconds(item)
    quick = iter(item for item in items if not item.get_closest_marker("slow"))
    for k in range(workers):
        blocks[k] += [next(quick) for _ in range(sizes[k] - len(blocks[k]))]
    return [item for block in blocks for item in block]


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> Generator[None, None, None]:
    # Before the mark plugin deselects by -m: which tests are slow.
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if (fixtures & SLOW_FIXTURES or item.get_closest_marker("hub")) and not (
            item.get_closest_marker("slow")
        ):
            item.add_marker(pytest.mark.slow)
    yield
    # After -m and -k: the order of what runs. It must be the same in every worker (xdist checks),
    # so it depends only on the names and the number of workers. (A worker cannot see the --dist
    # mode, which xdist sets to "no" there; the blocks suit pyproject's worksteal.)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        items[:] = worksteal_chunks(items, workers)
    else:
        items.sort(key=expected_seconds, reverse=True)


# --- one execution per notebook per run ---------------------------------------------------------
# The accessibility hook (tests/test_accessibility.py says what it checks). It wraps matplotlib's
# FigureCanvasBase.print_figure, the call through which every figure a notebook shows becomes a
# picture (inline plots, the static widget fallback, animation frames), and records, per plot,
# what a reader who cannot tell colours apart would miss.
A11Y_HOOK = r"""
import json as _json
import math as _math
from matplotlib.backend_bases import FigureCanvasBase as _Canvas
from IPython import get_ipython as _get_ipython

_A11Y_FINDINGS, _A11Y_SEEN, _A11Y_CELL = [], set(), [""]
_get_ipython().events.register(
    "pre_run_cell", lambda info: _A11Y_CELL.__setitem__(0, info.raw_cell)
)


def _a11y_style(line):
    # Line widths count when one is at least 1.5 times another (a thin noisy line under a
    # thick trend line reads fine in greyscale), so they are binned in steps of that ratio.
    width = round(_math.log(max(line.get_linewidth(), 0.1), 1.5))
    dashes = repr(getattr(line, "_dash_pattern", None))
    return (line.get_linestyle(), dashes, line.get_marker(), width)


def _a11y_label(ax, which):
    # The axis label, or that of a panel sharing this axis (sharex/sharey leave one label).
    shared = getattr(ax, f"get_shared_{which}_axes")().get_siblings(ax)
    return any(getattr(other, f"get_{which}label")().strip() for other in shared)


def _a11y_check(figure):
    groups = {}
    for ax in figure.get_axes():
        if not ax.get_visible() or not ax.axison or ax.get_label() == "<colorbar>":
            continue
        if not (ax.lines or ax.collections or ax.images or ax.patches or ax.containers):
            continue
        groups.setdefault(tuple(round(v, 3) for v in ax.get_position().bounds), []).append(ax)
    for axes in groups.values():
        title = next((t for ax in axes for loc in ("center", "left", "right")
                      if (t := ax.get_title(loc=loc).strip())), "")
        suptitle = figure._suptitle.get_text().strip() if figure._suptitle else ""
        if not title and len(groups) == 1:
            title = suptitle  # a figure with one plot may carry its title above the figure
        where = title or suptitle or "(untitled)"
        problems = []
        if not title:
            problems.append("no title")
        if not any(_a11y_label(ax, "x") for ax in axes):
            problems.append("no x label")
        for ax in axes:
            if not _a11y_label(ax, "y"):
                problems.append("no y label")
        styles = {}
        for ax in axes:
            for line in ax.get_lines():
                label = line.get_label()
                if line.get_visible() and len(line.get_xdata()) >= 2 and not label.startswith("_"):
                    styles.setdefault(_a11y_style(line), []).append(label)
        for labels in styles.values():
            if len(labels) > 1:
                problems.append(f"lines {labels} differ only in colour")
        if problems:
            _A11Y_FINDINGS.append({"cell": _A11Y_CELL[0], "plot": where, "problems": problems})


_a11y_print_figure = _Canvas.print_figure


def _a11y_hooked_print_figure(self, *args, **kwargs):
    key = (id(self.figure), _A11Y_CELL[0])
    if key not in _A11Y_SEEN:
        _A11Y_SEEN.add(key)
        _a11y_check(self.figure)
    return _a11y_print_figure(self, *args, **kwargs)


_Canvas.print_figure = _a11y_hooked_print_figure
"""
A11Y_REPORT = 'open({path!r}, "w").write(_json.dumps(_A11Y_FINDINGS))'


@dataclass
class NotebookRun:
    """One execution of a notebook, as every check of it sees it."""

    assignment: str
    release: bool
    execution: Execution
    # Solutions only: one entry per plot the accessibility hook found a problem in.
    plot_findings: list[dict] = field(default_factory=list)


class NotebookRuns:
    """Executions of the course's notebooks, each done once per test run (see the module doc)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.memory: dict[str, NotebookRun] = {}

    def solution(self, assignment: str) -> NotebookRun:
        return self._get(assignment, release=False)

    def release(self, assignment: str) -> NotebookRun:
        return self._get(assignment, release=True)

    def _get(self, assignment: str, release: bool) -> NotebookRun:
        key = f"{assignment}-{'release' if release else 'solution'}"
        if key not in self.memory:
            record = self.folder / f"{key}.json"
            with FileLock(str(self.folder / f"{key}.lock")):
                if not record.exists():
                    self._execute(assignment, release, key, record)
            self.memory[key] = self._load(assignment, release, key, record)
        return self.memory[key]

    def _execute(self, assignment: str, release: bool, key: str, record: Path) -> None:
        path = notebook_path(assignment, release=release)
        findings = self.folder / f"{key}.plots.json"
        data: dict = {"error": None}
        try:
            if release:
                run = execute(path)
            else:
                after = A11Y_REPORT.format(path=str(findings))
                run = execute(path, before=A11Y_HOOK, after=after)
            nbformat.write(run.notebook, self.folder / f"{key}.ipynb")
            data.update(seconds=run.seconds, hook_errors=run.hook_errors)
        except Exception as error:  # noqa: BLE001 - recorded, and raised by every consumer
            data["error"] = f"executing {path} failed: {type(error).__name__}: {error}"
        partial = record.with_suffix(".json.partial")
        partial.write_text(json.dumps(data))
        partial.replace(record)  # the record appears whole or not at all

    def _load(self, assignment: str, release: bool, key: str, record: Path) -> NotebookRun:
        data = json.loads(record.read_text())
        if data["error"]:
            pytest.fail(data["error"], pytrace=False)
        notebook = nbformat.read(self.folder / f"{key}.ipynb", as_version=4)
        path = notebook_path(assignment, release=release)
        execution = read_execution(path, notebook, data["seconds"], data["hook_errors"])
        findings_file = self.folder / f"{key}.plots.json"
        findings = json.loads(findings_file.read_text()) if findings_file.exists() else []
        return NotebookRun(assignment, release, execution, findings)


def shared_run_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder every xdist worker of this run sees (and no other run)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / name
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory: pytest.TempPathFactory) -> NotebookRuns:
    return NotebookRuns(shared_run_folder(tmp_path_factory, "notebook-runs"))


# --- a temporary nbgrader course and its runner -------------------------------------------------
@dataclass
class Course:
    """A throwaway nbgrader course for one assignment: the repository's nbgrader_config.py and a
    copy of ``solutions/<assignment>``; ``nbgrader(...)`` runs stock nbgrader in it."""

    root: Path
    assignment: str

    @property
    def env(self) -> dict[str, str]:
        return grading_env()

    @property
    def notebook_name(self) -> str:
        return notebook_path(self.assignment).name

    def nbgrader(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """Run ``nbgrader <args>`` in the course; it must succeed."""
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, (
            f"nbgrader {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}"
        )
        return result

    def generate(self) -> Path:
        """``nbgrader generate_assignment``: the gradebook and the release; the release notebook."""
        self.nbgrader("generate_assignment", self.assignment)
        return self.root / "notebooks" / self.assignment / self.notebook_name

    def submit(self, student: str, notebook: nbformat.NotebookNode) -> Path:
        return submit(self.root, self.assignment, student, notebook)


@pytest.fixture
def nbgrader_course(tmp_path: Path) -> Callable[[str], Course]:
    """``nbgrader_course(assignment)``: a new temporary course for that assignment."""

    def make(assignment: str) -> Course:
        root = make_course(tmp_path / f"course-{assignment}", assignment, generate=False)
        return Course(root, assignment)

    return make
