"""Hidden tests of notebook 03's speed-up exercise: right answers pass in every form a student might
write them, each known mistake is caught and named, and bad answers get clear messages."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import references as ref
from autograder.hidden import nb03_momentum as mo
from autograder.kit.core import GradingFailure

SPEEDUP_CHECKS = [mo.check_speedup_values, mo.check_speedup_edge_cases, mo.check_speedup_limit]


def closed_form_speedup(beta, num_steps):
    """The geometric series summed in closed form, as a student might write it."""
    if beta == 0:
        return 1.0
    return (num_steps - beta * (1 - beta**num_steps) / (1 - beta)) / (num_steps * (1 - beta))


def vectorised_speedup(beta, num_steps):
    """The step factors (1 - beta**k) / (1 - beta) averaged with NumPy."""
    k = np.arange(1, num_steps + 1)
    return np.mean((1 - beta**k) / (1 - beta))


def make_simulating_speedup(step):
    """A loop over a momentum_step found in the function's globals, as in the notebook."""
    namespace = {"np": np, "momentum_step": step}
    exec(  # noqa: S102 - builds a function in its own namespace, as a notebook does
        "def speedup(beta, num_steps):\n"
        "    p_momentum, v = np.zeros(1), np.zeros(1)\n"
        "    for _ in range(num_steps):\n"
        "        p_momentum, v = momentum_step(p_momentum, np.ones(1), v, 1.0, beta)\n"
        "    return float(p_momentum[0] / -num_steps)\n",
        namespace,
    )
    return namespace["speedup"], namespace


@pytest.mark.parametrize("check", SPEEDUP_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "answer",
    [mo.momentum_speedup, closed_form_speedup, vectorised_speedup],
    ids=["reference", "closed-form", "vectorised"],
)
def test_right_answers_pass(check, answer) -> None:
    check(answer)


def test_steady_state_reference_and_variants_pass() -> None:
    mo.check_steady_state_speedup(mo.steady_state_speedup)
    mo.check_steady_state_speedup(lambda beta: np.float64(1) / (1 - beta))
    mo.check_steady_state_speedup(lambda beta: np.array(1 / (1 - beta)))


def test_reference_values() -> None:
    assert mo.momentum_speedup(0.5, 2) == 1.25
    assert mo.momentum_speedup(0.5, 4) == 1.53125
    assert mo.momentum_speedup(0.9, 3) == pytest.approx(1.87)
    assert mo.momentum_speedup(0.9, 10_000) == pytest.approx(9.991)
    assert mo.momentum_speedup(0.0, 9) == 1.0
    assert mo.steady_state_speedup(0.9) == pytest.approx(10.0)


def test_loop_is_graded_with_the_reference_step() -> None:
    def wrong_step(p, g, v, lr, beta):  # the EMA form: a mistake in Exercise 1
        new_v = beta * v + (1 - beta) * g
        return p - lr * new_v, new_v

    speedup, namespace = make_simulating_speedup(wrong_step)
    for check in SPEEDUP_CHECKS:
        check(speedup)
    assert namespace["momentum_step"] is wrong_step  # restored afterwards
    right, _ = make_simulating_speedup(ref.momentum_step)
    mo.check_speedup_values(right)


@pytest.mark.parametrize(
    "mistake", mo.SPEEDUP_MISTAKES, ids=[m.name[:40] for m in mo.SPEEDUP_MISTAKES]
)
def test_each_speedup_mistake_is_named(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        mo.check_speedup_values(mistake.compute)
    assert mistake.name in str(failure.value)
    assert "Hint:" in str(failure.value)


@pytest.mark.parametrize(
    "mistake", mo.STEADY_STATE_MISTAKES, ids=[m.name[:40] for m in mo.STEADY_STATE_MISTAKES]
)
def test_each_steady_state_mistake_is_named(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        mo.check_steady_state_speedup(mistake.compute)
    assert mistake.name in str(failure.value)
    assert "Hint:" in str(failure.value)


def test_mistakes_are_distinct_on_the_graded_inputs() -> None:
    """No two catalogued mistakes give the same answer: the name in a message is the right one."""
    for beta, n in [(0.5, 2), (0.9, 3), (0.8, 7)]:
        guesses = [m.compute(beta, n) for m in mo.SPEEDUP_MISTAKES]
        right = mo.momentum_speedup(beta, n)
        assert all(abs(g - right) > 1e-6 for g in guesses)
        assert len({round(g, 9) for g in guesses}) == len(guesses)


def test_edge_cases_catch_a_wrong_first_step() -> None:
    def no_first_step(beta, num_steps):  # right except after a single step
        return mo.momentum_speedup(beta, num_steps) if num_steps > 1 else 1 / (1 - beta)

    with pytest.raises(GradingFailure, match=r"num_steps=1\)"):
        mo.check_speedup_edge_cases(no_first_step)


def test_limit_check_names_the_failed_property() -> None:
    with pytest.raises(GradingFailure, match="should grow with num_steps"):
        mo.check_speedup_limit(lambda beta, n: 1.0 / n)
    with pytest.raises(GradingFailure, match="goes above the steady-state"):
        mo.check_speedup_limit(lambda beta, n: mo.momentum_speedup(beta, n) * 1.01)
    with pytest.raises(GradingFailure, match="does not approach"):
        mo.check_speedup_limit(lambda beta, n: min(mo.momentum_speedup(beta, n), 1.5))


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda beta, n: "2.0", "expected a single number"),
        (lambda beta, n: [1.0, 2.0], "expected a single number"),
        (lambda beta, n: np.ones(3), "expected a single number"),
        (lambda beta, n: float("nan"), "finite number"),
        (lambda beta, n: 1 / 0, "raised ZeroDivisionError"),
        (lambda beta, n: 1.0, r"returned 1, expected 1\.25"),
        (None, "should be a function"),
    ],
    ids=["string", "list", "array", "nan", "raises", "wrong-number", "not-callable"],
)
def test_bad_answers_get_clear_messages(bad, message: str) -> None:
    with pytest.raises(GradingFailure, match=message):
        mo.check_speedup_values(bad)


def test_stub_errors_pass_through_unchanged() -> None:
    def stub(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        mo.check_speedup_values(stub)
    with pytest.raises(NotImplementedError):
        mo.check_steady_state_speedup(stub)


def test_noisy_right_answer_passes_without_writing_to_stderr(capfd) -> None:
    import warnings

    def chatty(beta, num_steps):
        print("debugging!")
        warnings.warn("a warning from student code", stacklevel=1)
        return mo.momentum_speedup(beta, num_steps)

    for check in SPEEDUP_CHECKS:
        check(chatty)
    assert capfd.readouterr().err == ""


def test_checks_are_fast_enough_for_a_simulating_answer() -> None:
    import time

    speedup, _ = make_simulating_speedup(ref.momentum_step)
    start = time.perf_counter()
    for check in SPEEDUP_CHECKS:
        check(speedup)
    assert time.perf_counter() - start < 20  # a test cell times out after 60 s


# --- momentum_max_stable_lr ----------------------------------------------------------------------
MAX_LR_CHECKS = [mo.check_max_lr_values, mo.check_max_lr_edge_cases]


def spectral_max_lr(curvature, beta):
    """The numerical route: bisection on the spectral radius of the (x, v) map."""

    def radius(lr):
        m = np.array([[1.0 - lr * curvature, -lr * beta], [curvature, beta]])
        return np.abs(np.linalg.eigvals(m)).max()

    low, high = 0.0, 4.0 / curvature
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if radius(middle) < 1.0 else (low, middle)
    return float(low)


@pytest.mark.parametrize("check", MAX_LR_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "answer", [mo.momentum_max_stable_lr, spectral_max_lr], ids=["formula", "eigenvalues"]
)
def test_max_lr_right_answers_pass(check, answer) -> None:
    check(answer)


@pytest.mark.parametrize("mistake", mo.MAX_LR_MISTAKES, ids=lambda m: m.name)
def test_each_max_lr_mistake_is_named(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as caught:
        mo.check_max_lr_values(mistake.compute)
    assert mistake.name in str(caught.value)


def test_max_lr_reference_is_the_edge_of_a_simulated_run() -> None:
    """Just below the reference the seed's momentum converges; just above it diverges."""
    for curvature, beta in [(40.0, 0.9), (1.0, 0.5), (3.0, 0.0)]:
        limit = mo.momentum_max_stable_lr(curvature, beta)
        ends = []
        for lr in (0.99 * limit, 1.01 * limit):
            x, v = np.ones(1), np.zeros(1)
            for _ in range(3000):
                x, v = ref.momentum_step(x, curvature * x, v, lr, beta)
            ends.append(abs(x[0]))
        assert ends[0] < 1e-3 < 1e3 < ends[1], (curvature, beta, ends)
