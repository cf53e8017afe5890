"""Hidden-test machinery: right answers pass, known mistakes are named, bad answers explained."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import references as ref
from autograder.hidden import nb01_gradient_descent as gd_checks
from autograder.kit.core import GradingFailure
from autograder.kit.rule_mistakes import MISTAKES
from autograder.kit.update_rules import (
    RULES,
    check_edge_cases,
    check_inputs_unchanged,
    check_shapes_and_dtypes,
    check_trajectory,
)
from optimlab.checks import expect_array, expect_inputs_unchanged, expect_number

CHECKS = [check_trajectory, check_shapes_and_dtypes, check_edge_cases, check_inputs_unchanged]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", sorted(RULES))
def test_reference_passes_every_check(name: str, check) -> None:
    check(RULES[name].reference, name)


MISTAKE_CASES = [(name, m) for name, mistakes in MISTAKES.items() for m in mistakes]


@pytest.mark.parametrize(
    "name,mistake", MISTAKE_CASES, ids=[f"{n}:{m.name[:40]}" for n, m in MISTAKE_CASES]
)
def test_each_known_mistake_fails_and_is_named(name: str, mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        check_trajectory(mistake.compute, name)
    assert mistake.name in str(failure.value), str(failure.value)
    assert "Hint:" in str(failure.value)


def test_in_place_update_is_caught() -> None:
    def sneaky_gd(params, grad, lr):
        params -= lr * grad
        return params

    with pytest.raises(GradingFailure, match="changed its input `params` in place"):
        check_inputs_unchanged(sneaky_gd, "gd_step")


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda p, g, lr: p * np.nan, "NaN"),
        (lambda p, g, lr: list(p - lr * g), "expected a NumPy array|shape"),
        (lambda p, g, lr: (p - lr * g).ravel()[:1], "shape"),
        (lambda p, g, lr: 1 / 0, "raised ZeroDivisionError"),
        ("not a function", "should be a function"),
    ],
    ids=["nan", "list", "shape", "raises", "not-callable"],
)
def test_bad_answers_get_clear_messages(bad, message: str) -> None:
    with pytest.raises(GradingFailure, match=message):
        check_trajectory(bad, "gd_step")
        check_shapes_and_dtypes(bad, "gd_step")


def test_noisy_correct_answer_passes_without_writing_to_stderr(capfd) -> None:
    import warnings

    def chatty_adam(*args, **kwargs):
        print("debugging!" * 100)
        warnings.warn("a warning from student code", stacklevel=1)
        return ref.adam_step(*args, **kwargs)

    check_trajectory(chatty_adam, "adam_step")
    assert capfd.readouterr().err == ""


def test_float32_upcast_is_reported() -> None:
    with pytest.raises(GradingFailure, match="came back as float64"):
        check_shapes_and_dtypes(lambda p, g, lr: (p - lr * g).astype(np.float64), "gd_step")


def test_loop_checks_accept_the_reference_and_name_loop_mistakes() -> None:
    gd_checks.check_loop(gd_checks.gradient_descent)
    gd_checks.check_loop_edge_cases(gd_checks.gradient_descent)

    def without_start(grad_fn, x0, lr, num_steps):
        return gd_checks.gradient_descent(grad_fn, x0, lr, num_steps)[1:]

    with pytest.raises(GradingFailure, match="starting point left out"):
        gd_checks.check_loop(without_start)


def test_loop_is_graded_with_the_reference_step() -> None:
    namespace = {"np": np, "gd_step": lambda p, g, lr: p + lr * g}  # a wrong step
    exec(  # noqa: S102 - builds a function in its own namespace, as a notebook does
        "def loop(grad_fn, x0, lr, num_steps):\n"
        "    points = [np.array(x0, dtype=float)]\n"
        "    for _ in range(num_steps):\n"
        "        points.append(gd_step(points[-1], grad_fn(points[-1]), lr))\n"
        "    return np.array(points)\n",
        namespace,
    )
    gd_checks.check_loop(namespace["loop"])
    assert namespace["gd_step"](np.ones(1), np.ones(1), 1.0)[0] == 2.0  # restored afterwards


def test_stable_lr_mistakes_are_named() -> None:
    gd_checks.check_stable_lr_rotated(gd_checks.max_stable_learning_rate)
    with pytest.raises(GradingFailure, match="largest diagonal entry"):
        gd_checks.check_stable_lr_rotated(lambda a: 2.0 / np.max(np.diag(a)))
    with pytest.raises(GradingFailure, match="single number"):
        gd_checks.check_stable_lr_diagonal(lambda a: "0.1")


def test_visible_feedback_says_expected_got_and_hint() -> None:
    with pytest.raises(AssertionError) as failure:
        expect_array(np.array([1.05]), [0.95], call="gd_step(...)", hint="go downhill")
    text = str(failure.value)
    assert "expected" in text and "0.95" in text and "1.05" in text and "Hint: go downhill" in text
    with pytest.raises(AssertionError, match="shape"):
        expect_array(np.zeros(3), [0.0, 0.0], call="f()")
    with pytest.raises(AssertionError, match="expected a number"):
        expect_number("0.2", 0.2, call="f()")

    def in_place(p):
        p += 1
        return p

    with pytest.raises(AssertionError, match="changed in place"):
        expect_inputs_unchanged(in_place, np.zeros(2), names=["p"], call="f(p)")


def test_stub_errors_pass_through_unchanged() -> None:
    def stub(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_trajectory(stub, "gd_step")
