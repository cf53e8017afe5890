"""nbgrader settings for the course. Run stock nbgrader commands from the repository root."""

import os
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
# Grading always runs the notebooks' short ("fast") training settings.
os.environ.setdefault("OPTIMLAB_FAST", "1")

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Every notebook runs in the standard Python kernel, whatever the student's kernel was called.
c.Execute.kernel_name = "python3"

# Per-cell time limits: a test cell that loops forever scores 0 after a minute and grading moves
# on; experiment cells (plots, short training runs) get longer.
TEST_CELL_TIMEOUT_S = 60
OTHER_CELL_TIMEOUT_S = 300


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

# A student who deletes a test cell gets it back (and its score) instead of silently losing it.
c.OverwriteCells.add_missing_cells = True
