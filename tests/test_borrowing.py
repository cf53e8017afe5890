"""Answers that borrow the grade: calling the course's reference, scavenging it from memory,
switching the watch off, or delegating to the library optimizer they are compared with.

The in-process tests compile student code from text, as a notebook cell is (answers written in
the course's own files are trusted by the test suite: see autograder/kit/borrowing.py). The slow
tests grade real submissions with nbgrader: each trick scores exactly what the same notebook
earns with that answer left empty.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
from mutants.corpus import Right, as_submission, exercise_test_cells, splice, without_experiments

from autograder.hidden import nb01_gradient_descent, nb09_pytorch_optimizers
from autograder.kit import update_rules
from autograder.kit.core import GradingFailure
from grading import batch
from grading.course import grading_env, make_course, notebook_path, submit


def student(source: str, name: str, **namespace):
    """Define ``name`` from source text, the way a notebook cell does."""
    namespace = {"np": np, **namespace}
    exec(compile(textwrap.dedent(source), "<student cell>", "exec"), namespace)  # noqa: S102
    return namespace[name]


ADAM_SIGNATURE = "def adam_step(params, grad, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):"
BORROW_FROM_SYS_MODULES = f"""
{ADAM_SIGNATURE}
    import sys
    ref = sys.modules.get("autograder.references")
    if ref is None:
        raise NotImplementedError()
    return ref.adam_step(params, grad, m, v, t, lr, beta1, beta2, eps)
"""
SCAVENGE_WITH_GC = f"""
{ADAM_SIGNATURE}
    import gc
    for found in gc.get_objects():
        if getattr(found, "__name__", "") == "adam_step" and found is not adam_step:
            if getattr(found, "__module__", "") == "autograder.references":
                return found(params, grad, m, v, t, lr, beta1, beta2, eps)
    raise NotImplementedError()
"""
SWITCH_THE_WATCH_OFF = f"""
{ADAM_SIGNATURE}
    import sys
    sys.setprofile(None)
    return sys.modules["autograder.references"].adam_step(params, grad, m, v, t, lr, beta1, beta2,
                                                          eps)
"""
SWAP_A_CODE_OBJECT = f"""
{ADAM_SIGNATURE}
    raise NotImplementedError()

import sys
adam_step.__code__ = sys.modules["autograder.references"].adam_step.__code__
"""
HONEST = f"""
{ADAM_SIGNATURE}
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return params - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
"""


@pytest.mark.parametrize(
    "source, says",
    [
        (BORROW_FROM_SYS_MODULES, "called the course's reference implementation"),
        (SCAVENGE_WITH_GC, "searched the interpreter's memory"),
        (SWITCH_THE_WATCH_OFF, "replaced the interpreter's profile hook"),
        (SWAP_A_CODE_OBJECT, "called the course's reference implementation"),
    ],
    ids=["sys-modules", "gc-scavenging", "setprofile-off", "borrowed-code-object"],
)
def test_borrowing_update_rules_fail_and_say_why(source: str, says: str) -> None:
    import autograder.references  # noqa: F401  (loaded, as the hidden tests load it)

    adam_step = student(source, "adam_step")
    with pytest.raises(GradingFailure, match=says) as failure:
        update_rules.check_trajectory(adam_step, "adam_step")
    assert "your adam_step" in str(failure.value)
    assert "write the update yourself" in str(failure.value)


def test_honest_answer_compiled_from_text_passes_every_check() -> None:
    adam_step = student(HONEST, "adam_step")
    for check in (
        update_rules.check_trajectory,
        update_rules.check_shapes_and_dtypes,
        update_rules.check_edge_cases,
        update_rules.check_inputs_unchanged,
    ):
        check(adam_step, "adam_step")


def test_stand_ins_and_handed_over_functions_may_be_called() -> None:
    """Notebook 01's loop calls gd_step, which the check replaces by the reference: allowed."""
    loop = student(
        """
        def gradient_descent(grad_fn, x0, lr, num_steps):
            points = [np.array(x0, dtype=float)]
            for _ in range(num_steps):
                points.append(gd_step(points[-1], grad_fn(points[-1]), lr))
            return np.array(points)
        """,
        "gradient_descent",
        gd_step=lambda params, grad, lr: params,  # a wrong earlier exercise
    )
    nb01_gradient_descent.check_loop(loop)
    nb01_gradient_descent.check_loop_edge_cases(loop)


DELEGATING_ADAM = """
import torch

class Adam(torch.optim.Optimizer):
    def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "library" not in state:
                    state["library"] = torch.optim.Adam(
                        [p], lr=group["lr"], betas=(group["beta1"], group["beta2"]),
                        eps=group["eps"])
                state["library"].step()
"""


def test_delegating_torch_optimizer_fails_and_says_why() -> None:
    pytest.importorskip("torch")
    adam = student(DELEGATING_ADAM, "Adam")
    with pytest.raises(GradingFailure, match="called torch.optim's implementation") as failure:
        nb09_pytorch_optimizers.check_trajectory(adam, "Adam")
    assert "write the update yourself" in str(failure.value)


# --- real nbgrader autograde ---------------------------------------------------------------------
ENV = grading_env(AUTOGRADE_TEST_CELL_TIMEOUT="60")
EMPTY = "raise NotImplementedError()"
NOTEBOOK_09_DELEGATION = """
if "library" not in state:
    betas = (group["beta1"], group["beta2"])
    state["library"] = torch.optim.Adam([p], lr=group["lr"], betas=betas, eps=group["eps"])
state["library"].step()
"""
# assignment -> exercise -> {student: answer body}; "empty" is every trick's honest twin.
SUBMISSIONS = {
    "05_adam": (
        "adam_step",
        {
            "empty": EMPTY,
            "sys-modules": BORROW_FROM_SYS_MODULES.split(":\n", 1)[1],
            "gc-scavenging": SCAVENGE_WITH_GC.split(":\n", 1)[1],
            "setprofile-off": SWITCH_THE_WATCH_OFF.split(":\n", 1)[1],
        },
    ),
    "09_pytorch_optimizers": ("Adam", {"empty": EMPTY, "delegates": NOTEBOOK_09_DELEGATION}),
}


def _grade_course(course: Path, assignment: str, exercise: str, bodies: dict[str, str]) -> None:
    make_course(course, assignment, ENV)
    solution = nbformat.read(notebook_path(assignment), as_version=4)
    for name, body in bodies.items():
        notebook = without_experiments(as_submission(splice(solution, exercise, Right("", body))))
        submit(course, assignment, name, notebook)


@pytest.fixture(scope="module", params=sorted(SUBMISSIONS))
def graded(request, tmp_path_factory: pytest.TempPathFactory):
    """Each assignment's submissions, graded by the course's batch runner (nbgrader autograde,
    one student per process) and, in a second course, by one stock `nbgrader autograde`."""
    assignment = request.param
    exercise, bodies = SUBMISSIONS[assignment]
    course = tmp_path_factory.mktemp(f"borrowing-{assignment}")
    _grade_course(course, assignment, exercise, bodies)
    results = batch.autograde(course, assignment, env=ENV, protect_packages=(), timeout=900)
    stock = tmp_path_factory.mktemp(f"borrowing-stock-{assignment}")
    _grade_course(stock, assignment, exercise, bodies)
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", assignment, "--log-level=ERROR"],
        cwd=stock,
        env=ENV,
        check=True,
        capture_output=True,
        timeout=1800,
    )
    results_by_name = {r.student: r for r in results}
    return course, assignment, exercise, results_by_name, _cell_scores(stock, assignment)


def _cell_scores(course: Path, assignment: str) -> dict[str, dict[str, float]]:
    """student -> {test cell: score}, read from a course's gradebook."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            scores[submission.student.id] = {
                grade.name: float(grade.score)
                for notebook in submission.notebooks
                for grade in notebook.grades
            }
    return scores


@pytest.mark.slow
def test_borrowing_scores_what_an_empty_answer_scores(graded) -> None:
    course, assignment, exercise, results, stock = graded
    empty = results["empty"]
    assert empty.status == "graded", batch.format_result(empty)
    solution = nbformat.read(notebook_path(assignment), as_version=4)
    cells = exercise_test_cells(solution, exercise)
    assert cells and all(empty.cells[c][0] == 0 for c in cells), empty.cells
    assert empty.score < empty.max_score
    for name, result in results.items():
        report = batch.format_result(result)
        assert result.status == "graded", report + "\n" + result.log[-3000:]
        assert result.cells == empty.cells, f"{name}: {result.cells} != {empty.cells}\n{report}"
        assert {c: s for c, (s, _) in result.cells.items()} == stock[name], (name, stock[name])
        if name != "empty":
            text = _feedback_text(course / "autograded" / name / assignment)
            assert "write the update yourself" in text, f"{name}: the feedback does not say why"


def _feedback_text(folder: Path) -> str:
    """Every error a graded notebook's cells show."""
    notebook = nbformat.read(next(folder.glob("*.ipynb")), as_version=4)
    return "\n".join(
        f"{output.get('ename', '')}: {output.get('evalue', '')}"
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
