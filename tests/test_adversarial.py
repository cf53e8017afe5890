"""Submissions that try to break or game grading, each graded by a real nbgrader autograde.

One course with notebook 01 (gradient descent; points read from the notebook) and one student per
trick. Every student gets the score their honest work earns (often compared with an honest
"twin" that makes the same mistake without the trick), the trick is reported clearly, and the
batch goes on: the last student, the plain solution, is graded normally after all of them.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from mutants import gradient_descent as gradient_descent_mutants
from mutants.corpus import (
    Right,
    as_submission,
    exercise_test_cells,
    grade_id,
    splice,
    without_experiments,
)

from grading import batch
from grading.course import (
    REPO_ROOT,
    graded_points,
    grading_env,
    make_course,
    notebook_path,
    submission_folder,
    submit,
)

ASSIGNMENT = "01_gradient_descent"
SOLUTION = nbformat.read(notebook_path(ASSIGNMENT), as_version=4)
GD, LOOP, LR = "gd_step", "gradient_descent", "max_stable_learning_rate"
CELLS = {e: exercise_test_cells(SOLUTION, e) for e in (GD, LOOP, LR)}
# Points come from the notebook (they change as exercises are added): FULL is its maximum,
# written answers included; an honest submission gets AUTOGRADED (its written answers wait for a
# person, and nbgrader counts them 0 until then).
POINTS = graded_points(SOLUTION)
FULL = sum(POINTS.values())
AUTOGRADED = sum(graded_points(SOLUTION, autograded_only=True).values())


def without(*cells: str) -> float:
    """The score of a submission that loses exactly ``cells``."""
    return AUTOGRADED - sum(POINTS[c] for c in cells)


def from_on(cell: str) -> list[str]:
    """``cell`` and every autograded cell after it: what a kernel that cannot be stopped costs."""
    order = list(graded_points(SOLUTION, autograded_only=True))
    return order[order.index(cell) :]


# Grading settings for this test: short time limits, so that the infinite loops end quickly.
ENV = grading_env(AUTOGRADE_TEST_CELL_TIMEOUT="8", AUTOGRADE_CELL_TIMEOUT="60")
NBGRADER_ARGS = ("--ResilientExecute.probe_timeout=5",)


# --- building submissions ----------------------------------------------------------------------
def answer(notebook, exercise: str, body: str):
    return splice(notebook, exercise, Right("", body))


def with_code_before(notebook, exercise: str, code: str, body: str):
    """The answer cell runs ``code`` at the top level, then defines the function with ``body``."""
    notebook = answer(notebook, exercise, body)
    cell = notebook.cells[cell_index(notebook, exercise)]
    cell.source = textwrap.dedent(code).strip() + "\n\n" + cell.source
    return notebook


def cell_index(notebook, name: str) -> int:
    return next(i for i, c in enumerate(notebook.cells) if grade_id(c) == name)


WRONG_LR = "return float(1.0 / np.linalg.eigvalsh(A).max())"  # lr cells all fail
ASCENT = "return params + lr * grad"  # every gd_step cell fails
# The gradient_descent cells that check only hidden inputs.
LOOP_HIDDEN = ("test_gradient_descent_random_quadratics", "test_gradient_descent_edge_cases")
# The mutation corpus's in-place loop: caught by the hidden parts only (random quadratics, edges).
IN_PLACE_LOOP = next(
    w.body for w in gradient_descent_mutants.WRONG if "modifies the caller's array" in w.name
)


def delete(*names: str) -> Callable:
    def build(nb, folder):
        nb.cells = [c for c in nb.cells if grade_id(c) not in names]
        return nb

    return build


def edit_tests(nb, folder):
    nb = answer(nb, LR, WRONG_LR)
    for cell in nb.cells:
        if grade_id(cell) in CELLS[LR]:
            cell.source = 'print("all tests passed!")'
    return nb


def retag(nb, folder):
    nb = answer(nb, LR, WRONG_LR)
    values, diagonal, rotated = CELLS[LR]
    nb.cells[cell_index(nb, values)].metadata.nbgrader["grade"] = False
    nb.cells[cell_index(nb, diagonal)].metadata.nbgrader["grade_id"] = "bonus"
    nb.cells[cell_index(nb, rotated)].metadata.nbgrader["points"] = 100
    extra = nbformat.v4.new_code_cell("pass")
    extra.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "extra_credit",
        "locked": False,
        "points": 50,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    nb.cells.append(extra)
    return nb


def duplicate(nb, folder):
    for name in (GD, CELLS[GD][0]):
        index = cell_index(nb, name)
        copy = nbformat.from_dict(nb.cells[index])
        copy["id"] = f"copy-of-{name}"
        nb.cells.insert(index + 1, copy)
    return nb


def shadow(nb, folder):
    poison = 'raise ImportError("a module submitted next to the notebook was imported")\n'
    (folder / "numpy.py").write_text(poison)
    (folder / "optimlab.py").write_text(poison)
    fake = folder / "autograder"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    for module in ("rules", "gradient_descent", "checks", "integrity"):
        (fake / f"{module}.py").write_text(
            "def __getattr__(name):\n    return lambda *args, **kwargs: None\n"
        )
    nb = answer(nb, LR, "import os, sys\nsys.path.insert(0, os.getcwd())\n" + WRONG_LR)
    return nb


def tamper_helpers(nb, folder):
    code = "expect_number = expect_array = lambda *args, **kwargs: None"
    return with_code_before(nb, LR, code, WRONG_LR)


def tamper_numpy(nb, folder):
    code = """
    np.allclose = lambda *args, **kwargs: True
    np.array_equal = lambda *args, **kwargs: True
    np.isclose = lambda a, b, **kwargs: np.ones(np.shape(a), dtype=bool)
    """
    return with_code_before(nb, GD, code, ASCENT)


def tamper_autograder(nb, folder):
    code = """
    import sys, types
    import autograder.kit.core, autograder.hidden.nb01_gradient_descent
    autograder.hidden.nb01_gradient_descent.check_loop = lambda *args, **kwargs: None
    autograder.kit.core.fail.__code__ = (lambda *args, **kwargs: None).__code__
    sys.modules["autograder.hidden.nb01_gradient_descent"] = types.SimpleNamespace(
        check_loop=lambda *a, **k: None, check_loop_edge_cases=lambda *a, **k: None)
    """
    return with_code_before(nb, LOOP, code, IN_PLACE_LOOP)


def hijack_ipython(nb, folder):
    code = """
    ip = get_ipython()
    ip.input_transformers_post.append(lambda lines: ["pass\\n"])
    ip.events.register("pre_run_cell", lambda *args: None)
    """
    return with_code_before(nb, LR, code, WRONG_LR)


def tamper_gradebook(nb, folder):
    code = """
    import sqlite3
    db = sqlite3.connect("../../../gradebook.db")
    db.execute("UPDATE grade SET manual_score = 100")
    db.commit()
    db.close()
    """
    return with_code_before(nb, LR, code, WRONG_LR)


def tamper_config(nb, folder):
    code = """
    with open("../../../nbgrader_config.py", "a") as config:
        config.write("\\nc.Autograde.autograde_preprocessors = []\\n")
    """
    return with_code_before(nb, LR, code, WRONG_LR)


def noisy(body: str) -> Callable:
    return lambda nb, folder: answer(nb, GD, body)


def body_for(exercise: str, body: str) -> Callable:
    return lambda nb, folder: answer(nb, exercise, body)


@dataclass
class Case:
    student: str
    build: Callable
    lost: tuple[str, ...] = ()  # exercises whose every test cell scores 0
    kept: tuple[str, ...] = ()  # exercises whose every test cell keeps full marks
    score: float | None = None
    twin: str | None = None  # the same answers without the trick: the same scores, cell by cell
    status: str = "graded"
    says: tuple[str, ...] = ()  # what the graded notebook or the report must say
    what: str = ""
    experiments: bool = False  # keep the ungraded experiment cells (most cases drop them: speed)


CASES = [
    Case(
        "raises",
        body_for(LR, 'raise RuntimeError("my bug")'),
        (LR,),
        (GD, LOOP),
        without(*CELLS[LR]),
        says=("RuntimeError", "my bug"),
        what="a solution that raises",
    ),
    Case(
        "returns-nan",
        body_for(LR, 'return float("nan")'),
        (LR,),
        (GD, LOOP),
        without(*CELLS[LR]),
        says=("nan",),
        what="returns NaN",
    ),
    Case(
        "returns-list",
        body_for(LR, "return [2.0 / np.linalg.eigvalsh(A).max()]"),
        (LR,),
        (GD, LOOP),
        without(*CELLS[LR]),
        says=("expected a number",),
        what="returns the wrong type",
    ),
    Case(
        "returns-wrong-shape",
        body_for(GD, "return (params - lr * grad)[None]"),
        (GD,),
        (LR,),
        says=("shape",),
        what="returns the wrong shape",
    ),
    Case(
        "loops-forever",
        body_for(GD, "while np.ndim(params) == 0:\n    pass\nreturn params - lr * grad"),
        (),
        (LOOP, LR),
        without("test_gd_step_edge_cases"),
        says=("CellTimeoutError", "timed out"),
        what="loops forever (per-cell timeout)",
    ),
    Case(
        "loops-ignoring-interrupts",
        body_for(
            LR, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
        ),
        (LR,),
        (GD, LOOP),
        without(*from_on(CELLS[LR][0])),
        says=("UnresponsiveKernelError", "could not be stopped"),
        what="loops forever and ignores the interrupt",
    ),
    Case(
        "prints-a-lot",
        noisy(
            "for i in range(100):\n"
            '    print(f"debug line {i}: " + "x" * 60)\n'
            "return params - lr * grad"
        ),
        (),
        (GD, LOOP, LR),
        AUTOGRADED,
        what="prints a lot while being correct",
        experiments=True,
    ),
    Case(
        "prints-warnings",
        noisy(
            "import sys, warnings\nwarnings.warn('careful!')\nprint('to stderr', file=sys.stderr)\n"
            "return params - lr * grad"
        ),
        (),
        (GD, LOOP, LR),
        AUTOGRADED,
        what="prints warnings and to stderr while being correct",
    ),
    Case(
        "deletes-test-cells",
        delete(CELLS[GD][0], CELLS[LOOP][2]),
        (),
        (GD, LOOP, LR),
        AUTOGRADED,
        says=("was missing",),
        what="deletes test cells",
    ),
    Case(
        "deletes-answer-and-test",
        delete(LR, CELLS[LR][0]),
        (LR,),
        (GD, LOOP),
        without(*CELLS[LR]),
        says=("was missing", "NotImplementedError"),
        what="deletes an answer cell and a test",
    ),
    Case(
        "edits-tests",
        edit_tests,
        (LR,),
        (GD, LOOP),
        without(*CELLS[LR]),
        says=("was edited",),
        what="edits test cells",
    ),
    Case(
        "retags-cells",
        retag,
        (LR,),
        (GD, LOOP),
        without(*CELLS[LR]),
        says=("unknown id", "changed: restored"),
        what="retags cells (grade flag, id, points, a new graded cell)",
    ),
    Case(
        "duplicates-cells",
        duplicate,
        (),
        (GD, LOOP, LR),
        AUTOGRADED,
        says=("duplicates",),
        what="duplicates an answer cell and a test cell",
    ),
    Case(
        "shadows-modules",
        shadow,
        (LR,),
        (GD, LOOP),
        without(*CELLS[LR]),
        what="submits numpy.py, optimlab.py and an autograder/ package next to the notebook",
    ),
    Case(
        "tampers-helpers",
        tamper_helpers,
        (LR,),
        (GD, LOOP),
        without(*CELLS[LR]),
        says=("replaced things the tests rely on", "expect_number"),
        what="rebinds the visible tests' helpers",
    ),
    Case(
        "tampers-numpy",
        tamper_numpy,
        (GD,),
        (LR,),
        twin="twin-ascent",
        says=("numpy.allclose",),
        what="replaces numpy functions the tests use",
    ),
    Case("twin-ascent", body_for(GD, ASCENT), (GD,), (LR,)),
    Case(
        "tampers-autograder",
        tamper_autograder,
        (),
        (GD, LR),
        without(*LOOP_HIDDEN),
        twin="twin-in-place-loop",
        says=("autograder.kit.core.fail",),
        what="monkeypatches autograder before the hidden tests",
    ),
    Case(
        "twin-in-place-loop",
        body_for(LOOP, IN_PLACE_LOOP),
        (),
        (GD, LR),
        without(*LOOP_HIDDEN),
    ),
    Case(
        "hijacks-ipython",
        hijack_ipython,
        (LR,),
        (GD, LOOP),
        without(*CELLS[LR]),
        says=("input_transformers_post",),
        what="hijacks IPython's cell execution",
    ),
    Case(
        "tampers-gradebook",
        tamper_gradebook,
        status="tampering",
        says=("gradebook file was modified",),
        what="writes to the gradebook",
    ),
    Case(
        "tampers-config",
        tamper_config,
        status="tampering",
        says=("nbgrader_config.py",),
        what="rewrites nbgrader_config.py for the students after it",
    ),
    Case(
        "zz-solution",
        lambda nb, folder: nb,
        (),
        (GD, LOOP, LR),
        AUTOGRADED,
        what="the plain solution, graded after all the others",
        experiments=True,
    ),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    course = make_course(tmp_path_factory.mktemp("adversarial"), ASSIGNMENT, ENV)
    for case in CASES:
        folder = submission_folder(course, ASSIGNMENT, case.student)
        notebook = as_submission(case.build(nbformat.from_dict(SOLUTION), folder))
        if not case.experiments:
            notebook = without_experiments(notebook)
        submit(course, ASSIGNMENT, case.student, notebook)
    results = batch.autograde(
        course,
        ASSIGNMENT,
        env=ENV,
        nbgrader_args=NBGRADER_ARGS,
        protect_packages=(),
        timeout=600,
    )
    return course, {r.student: r for r in results}


def graded_text(course: Path, student: str) -> str:
    path = next((course / "autograded" / student / ASSIGNMENT).glob("*.ipynb"), None)
    if path is None:
        return ""
    parts = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            parts += [
                str(output.get("ename", "")),
                str(output.get("evalue", "")),
                str(output.get("text", "")),
            ]
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.student for c in CASES])
def test_submission_gets_its_honest_score(graded, case: Case) -> None:
    course, results = graded
    result = results[case.student]
    report = batch.format_result(result)
    assert result.status == case.status, report + "\n" + result.log[-3000:]
    text = graded_text(course, case.student) + "\n" + report
    for words in case.says:
        assert words in text, (
            f"{case.student}: the feedback or report does not say {words!r}\n{report}"
        )
    if case.status != "graded":
        return
    assert result.max_score == FULL, report
    for exercise in case.lost:
        scores = {c: result.cells[c] for c in CELLS[exercise]}
        assert all(got == 0 for got, _ in scores.values()), f"{exercise}: {scores}\n{report}"
    for exercise in case.kept:
        scores = {c: result.cells[c] for c in CELLS[exercise]}
        assert all(got == top for got, top in scores.values()), f"{exercise}: {scores}\n{report}"
    if case.score is not None:
        assert result.score == case.score, report
    if case.twin is not None:
        assert result.cells == results[case.twin].cells, (result.cells, results[case.twin].cells)


@pytest.mark.slow
def test_tampering_left_the_gradebook_and_config_intact(graded) -> None:
    """The gradebook and config tricks were undone: no manual scores, the config unchanged."""
    course, results = graded
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, result in results.items():
            if not result.ok:
                continue
            submission = gradebook.find_submission(ASSIGNMENT, student)
            manual = [g.name for nb in submission.notebooks for g in nb.grades if g.manual_score]
            assert not manual, f"{student}: manual scores appeared in {manual}"
            assert submission.score == result.score
    assert (course / "nbgrader_config.py").read_text() == (
        REPO_ROOT / "nbgrader_config.py"
    ).read_text()


@pytest.mark.slow
def test_report_lists_every_case(graded) -> None:
    """One line per trick: what it tried, how it was graded (printed with -s)."""
    _, results = graded
    lines = [f"{'student':<28} {'status':<10} {'score':>6}  trick"]
    for case in CASES:
        r = results[case.student]
        score = f"{r.score:g}" if r.score is not None else "-"
        lines.append(f"{case.student:<28} {r.status:<10} {score:>6}  {case.what}")
    print("\n" + "\n".join(lines))
    assert len(results) == len(CASES)


def test_guard_and_seal_without_nbgrader() -> None:
    """The kernel-side guard in a plain Python process: replaced functions are put back before
    a test (with a note), and a change during the test fails the seal."""
    script = textwrap.dedent(
        """
        import numpy as np
        import autograder.integrity as integrity
        integrity.snapshot()
        import autograder.kit.core
        real_allclose = np.allclose
        np.allclose = lambda *a, **k: True
        autograder.kit.core.fail.__code__ = (lambda *a, **k: None).__code__
        expect_number = print
        namespace = {"np": np, "expect_number": expect_number}
        integrity.guard(namespace, ["np", "expect_number"], "test_x")
        assert np.allclose is real_allclose
        import optimlab.checks
        assert namespace["expect_number"] is optimlab.checks.expect_number
        try:
            autograder.kit.core.fail("still fails")
        except AssertionError:
            pass
        else:
            raise SystemExit("fail() was not restored")
        integrity.seal("test_x", "token")
        np.array_equal = lambda *a, **k: True
        try:
            integrity.seal("test_x", "token")
        except integrity.TamperingDetected as error:
            print("SEAL REFUSED:", error)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], env=ENV, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "replaced things the tests rely on" in out and "numpy.allclose" in out, out
    assert "autograder.kit.core.fail (its code)" in out and "expect_number" in out, out
    assert "[autograder-seal test_x token]" in out, out
    assert "SEAL REFUSED" in out and "numpy.array_equal" in out, out


def test_guarded_source_keeps_line_numbers() -> None:
    """The guard goes on the first line and the seal after the last: tracebacks still point
    at the right lines of the test cell."""
    from grading.preprocessors import guarded_source

    for source in [
        '"""Doc."""\nx = 1\nassert x == 2',
        "# a comment first\nx = 1",
        "for i in range(2):\n    pass",
    ]:
        guarded = guarded_source(source, "test_x", "abc")
        compile(guarded, "<cell>", "exec")
        lines = guarded.splitlines()
        offset = 0 if source.startswith('"""') else 1
        assert lines[offset : offset + len(source.splitlines())][1:] == source.splitlines()[1:]
        assert lines[-1].startswith('__import__("autograder.integrity"') and "seal" in lines[-1]
