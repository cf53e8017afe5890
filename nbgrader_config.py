"""nbgrader settings for the course. Run stock nbgrader commands from the repository root."""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

COURSE_ROOT = Path(__file__).resolve().parent

# Layout: instructor notebooks are the source of truth, student notebooks are generated.
c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.course_id = "optimizers"

# Hidden tests import the instructor-only `autograder` package. It is installed by the README's
# set-up; putting the repository on the kernel's path too makes a plain checkout work as well.
if (COURSE_ROOT / "autograder").is_dir():
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(COURSE_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    # ...and this nbgrader process imports the grading package's preprocessors (below) from it too.
    if str(COURSE_ROOT) not in sys.path:
        sys.path.append(str(COURSE_ROOT))
# Grading always runs the notebooks' short ("fast") training settings.
os.environ.setdefault("OPTIMLAB_FAST", "1")

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every notebook runs in the standard Python kernel, whatever the student's kernel was called.
c.Execute.kernel_name = "python3"

# Per-cell time limits: a test cell that loops forever scores 0 after a minute and grading moves
# on; experiment cells (plots, short training runs) get longer.
# (AUTOGRADE_TEST_CELL_TIMEOUT / AUTOGRADE_CELL_TIMEOUT override them, e.g. in the test suite.)
# These are ceilings: `python -m grading.batch` first runs the reference solution once and gives
# each cell 10 times its time there (at least 15 s; AUTOGRADE_CELL_BUDGETS), and ResilientExecute
# gives a student's function that did not return a short limit per later call, so an answer that
# never returns costs one cell's limit and a few seconds per later call, not every cell's limit.
TEST_CELL_TIMEOUT_S = int(os.environ.get("AUTOGRADE_TEST_CELL_TIMEOUT", "60"))
OTHER_CELL_TIMEOUT_S = int(os.environ.get("AUTOGRADE_CELL_TIMEOUT", "300"))


def cell_timeout(cell) -> int:
    """Seconds a cell may run during autograde and validate."""
    grading = cell.get("metadata", {}).get("nbgrader", {})
    return TEST_CELL_TIMEOUT_S if grading.get("grade") else OTHER_CELL_TIMEOUT_S


c.Execute.timeout = OTHER_CELL_TIMEOUT_S
c.Execute.timeout_func = cell_timeout
c.Execute.interrupt_on_timeout = True

# nbgrader scores any stderr output in a test cell as 0. In this course a test fails only by
# raising, so stderr (a NumPy warning, a progress bar, a student's debug print) never decides a
# score: drop every stderr stream before scoring. Errors are separate outputs and still count.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"^"

# Feedback shows a written answer that waits for a person as "not graded yet", not as 0 (nbgrader's
# own HTML page, with those scores replaced and a note saying why; grading/feedback.py).
c.GenerateFeedback.exporter_class = "grading.feedback.WaitingAnswersFeedback"

# A student who deletes a test cell gets it back (and its score) instead of silently losing it.
c.OverwriteCells.add_missing_cells = True

# --- Submissions that try to break or game grading (grading/preprocessors.py, integrity.py) ---
# Files next to a notebook never shadow real modules: the kernel starts without its folder on
# sys.path (PYTHONSAFEPATH) and puts it back *last*, so numpy.py or autograder/ submitted beside
# the notebook is ignored while a student's own helper module still imports.
os.environ["PYTHONSAFEPATH"] = "1"
# Before any notebook code runs, the kernel records what the tests rely on (library functions,
# autograder functions and data, IPython's hooks); each test cell puts back what was replaced.
c.Execute.extra_arguments = [
    "--IPKernelApp.exec_lines=__import__('autograder.integrity', fromlist=['snapshot']).snapshot()"
]
# Stock pipeline, with: released metadata restored and duplicated cells demoted instead of
# failing the run (NormalizeCells), every graded test cell guarded and sealed (GuardTestCells,
# CheckSeals), and a dead or unstoppable kernel costing the remaining cells, not the submission.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "grading.preprocessors.NormalizeCells",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "grading.preprocessors.GuardTestCells",
    "grading.preprocessors.ResilientExecute",
    "grading.preprocessors.CheckSeals",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
