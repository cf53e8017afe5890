"""Hidden tests of notebooks 05-06's own questions and catalogues: right answers pass, mistakes are
named (with no formula where the notebook asks the student to find it)."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from autograder import references as ref
from autograder.hidden import nb05_adam as aq
from autograder.hidden import nb06_adamw as aw
from autograder.kit.core import GradingFailure
from autograder.kit.update_rules import (
    check_edge_cases,
    check_inputs_unchanged,
    check_shapes_and_dtypes,
    check_trajectory,
    rule_for,
)

FACTOR_CHECKS = [aq.check_factors_random, aq.check_factors_first_step, aq.check_factors_later_steps]
DECAY_CHECKS = [aw.check_decay_random, aw.check_decay_tiny, aw.check_decay_edge_cases]


@pytest.mark.parametrize("check", FACTOR_CHECKS, ids=lambda c: c.__name__)
def test_reference_factors_pass(check) -> None:
    check(aq.bias_correction_factors)


@pytest.mark.parametrize("check", DECAY_CHECKS, ids=lambda c: c.__name__)
def test_reference_decay_passes(check) -> None:
    check(aw.decay_only_fraction)


def test_reference_values_written_out() -> None:
    """The facts the notebooks teach, with the numbers written out."""
    assert aq.bias_correction_factors(0.9, 0.999, 1) == pytest.approx((10.0, 1000.0))
    assert aq.bias_correction_factors(0.9, 0.999, 10) == pytest.approx(
        (1.5353399328, 100.4508254), rel=1e-9
    )
    assert aq.bias_correction_factors(0.9, 0.999, 10**6) == (1.0, 1.0)
    assert aw.decay_only_fraction(0.1, 0.5, 2) == pytest.approx(0.9025)
    assert aw.decay_only_fraction(1e-5, 1e-4, 10**6) == pytest.approx(0.99900049983, rel=1e-10)
    assert aw.decay_only_fraction(0.01, 0.1, 0) == 1.0


def test_student_style_answers_pass() -> None:
    """Other correct ways of writing the answers are accepted (NumPy scalars, log1p, a list)."""

    def factors_numpy(beta1, beta2, t):
        return [np.float64(1) / (1 - np.power(beta1, t)), 1 / -np.expm1(t * np.log(beta2))]

    def decay_log1p(lr, weight_decay, num_steps):
        return np.exp(num_steps * np.log1p(-lr * weight_decay))

    def decay_loop(lr, weight_decay, num_steps):
        weight = 1.0
        for _ in range(min(num_steps, 5000)):
            weight = weight - lr * weight_decay * weight
        return weight if num_steps <= 5000 else (1 - lr * weight_decay) ** num_steps

    for check in FACTOR_CHECKS:
        check(factors_numpy)
    aw.check_decay_random(decay_log1p)
    aw.check_decay_tiny(decay_log1p)
    for check in DECAY_CHECKS:
        check(decay_loop)


def _names(mistakes):
    return [m.name[:40] for m in mistakes]


@pytest.mark.parametrize(
    "mistake", aq.BIAS_CORRECTION_MISTAKES, ids=_names(aq.BIAS_CORRECTION_MISTAKES)
)
def test_each_factor_mistake_is_named(mistake) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        caught = []
        for check in FACTOR_CHECKS:
            try:
                check(mistake.compute)
            except GradingFailure as failure:
                caught.append(str(failure))
            except ZeroDivisionError:
                caught.append("ZeroDivisionError")
    assert caught, f"{mistake.name} passes every check"
    named = [text for text in caught if mistake.name in text]
    assert named, f"{mistake.name} is never named: {caught}"
    assert all("Hint:" in text for text in named)


@pytest.mark.parametrize("mistake", aw.DECAY_MISTAKES, ids=_names(aw.DECAY_MISTAKES))
def test_each_decay_mistake_is_named(mistake) -> None:
    caught = []
    for check in DECAY_CHECKS:
        try:
            check(mistake.compute)
        except GradingFailure as failure:
            caught.append(str(failure))
    assert caught, f"{mistake.name} passes every check"
    named = [text for text in caught if mistake.name in text]
    assert named, f"{mistake.name} is never named: {caught}"
    assert all("Hint:" in text for text in named)


def test_float32_answer_fails_on_tiny_decay_with_its_name() -> None:
    def in_float32(lr, weight_decay, num_steps):
        factor = np.float32(1) - np.float32(lr) * np.float32(weight_decay)
        return factor**num_steps

    with pytest.raises(GradingFailure, match="computed in float32"):
        aw.check_decay_tiny(in_float32)


def test_t_from_zero_fails_on_the_first_step_with_its_name() -> None:
    with pytest.raises(GradingFailure, match=r"t counted from 0"):
        aq.check_factors_first_step(
            lambda b1, b2, t: (1 / (1 - b1 ** (t + 1)), 1 / (1 - b2 ** (t + 1)))
        )


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda b1, b2, t: 1 / (1 - b1**t), "expected a tuple of two numbers"),
        (lambda b1, b2, t: (1.0, 2.0, 3.0), "expected a tuple of two numbers"),
        (lambda b1, b2, t: ("10", 1000.0), "expected a single number"),
        (lambda b1, b2, t: (math.nan, 1000.0), "first factor \\(for m\\) is nan"),
        (lambda b1, b2, t: (10.0, 1 / 0), "raised ZeroDivisionError"),
        (lambda b1, b2, t: (10.0, 999.0), "second factor \\(for v\\) is wrong"),
        (lambda b1, b2: (10.0, 1000.0), "raised TypeError"),
        (None, "should be a function"),
    ],
    ids=["one-number", "three", "string", "nan", "raises", "wrong-v", "signature", "none"],
)
def test_bad_factor_answers_get_clear_messages(bad, message: str) -> None:
    with pytest.raises(GradingFailure, match=message):
        aq.check_factors_first_step(bad)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda lr, wd, n: [0.5, 0.5], "expected a single number"),
        (lambda lr, wd, n: np.array([(1 - lr * wd) ** n]), None),
        (lambda lr, wd, n: math.inf, "is inf"),
        (lambda lr, wd, n: 0.123, "returned 0.123"),
        (lambda lr, wd, n: True, "expected a single number"),
    ],
    ids=["list", "one-element-array-is-fine", "inf", "wrong", "bool"],
)
def test_bad_decay_answers_get_clear_messages(bad, message) -> None:
    if message is None:
        aw.check_decay_edge_cases(bad)
        return
    with pytest.raises(GradingFailure, match=message):
        aw.check_decay_edge_cases(bad)


def test_checks_never_write_to_stderr(capfd) -> None:
    def chatty(lr, weight_decay, num_steps):
        print("debug" * 50)
        warnings.warn("student warning", stacklevel=1)
        return (1 - lr * weight_decay) ** num_steps

    for check in DECAY_CHECKS:
        check(chatty)
    assert capfd.readouterr().err == ""


# --- notebook 05, Exercise 3: from which step on bias correction stops mattering -----------------
NEGLIGIBLE_CHECKS = [aq.check_negligible_values, aq.check_negligible_every_later_step]
NEGLIGIBLE_CASES = aq.negligible_cases() + aq.EVERY_LATER_STEP_CASES


def _answering(table):
    """A student-like answer that looks up precomputed values (code of the hidden module may not
    run inside a graded call: the borrowing guard stops it)."""
    return lambda beta1, beta2, tolerance: table[(beta1, beta2, tolerance)]


def test_reference_negligible_step_agrees_with_a_long_scan() -> None:
    """The reference stops looking early; a scan over 100,000 steps finds the same step."""
    t = np.arange(1, 10**5 + 1)
    for beta1, beta2, tolerance in NEGLIGIBLE_CASES:
        outside = np.flatnonzero(np.abs((1 - beta1**t) / np.sqrt(1 - beta2**t) - 1) >= tolerance)
        want = int(outside[-1]) + 2 if outside.size else 1
        assert aq.correction_negligible_from(beta1, beta2, tolerance) == want


def test_reference_negligible_step_passes_and_written_out() -> None:
    table = {case: aq.correction_negligible_from(*case) for case in NEGLIGIBLE_CASES}
    for check in NEGLIGIBLE_CHECKS:
        check(_answering(table))
    # the notebook's measured table: the defaults, and betas whose ratio is 1 at t = 1
    assert aq.correction_negligible_from(0.9, 0.999, 0.01) == 3925
    assert aq.correction_negligible_from(0.9, 0.99, 0.01) == 391
    assert aq.correction_negligible_from(0.0, 0.0, 0.01) == 1


def test_student_style_negligible_answers_pass() -> None:
    """A plain loop with a while-condition stop, returning a float, is accepted."""

    def loop(beta1, beta2, tolerance):
        answer, t = 1.0, 1
        while t < 10 or max(beta1, beta2) ** t > tolerance / 8:
            if abs((1 - beta1**t) / math.sqrt(1 - beta2**t) - 1) >= tolerance:
                answer = float(t + 1)
            t += 1
        return answer

    for check in NEGLIGIBLE_CHECKS:
        check(loop)


@pytest.mark.parametrize("mistake", aq.NEGLIGIBLE_MISTAKES, ids=_names(aq.NEGLIGIBLE_MISTAKES))
def test_each_negligible_mistake_is_named(mistake) -> None:
    answer = _answering({case: mistake.compute(*case) for case in NEGLIGIBLE_CASES})
    caught = []
    for check in NEGLIGIBLE_CHECKS:
        try:
            check(answer)
        except GradingFailure as failure:
            caught.append(str(failure))
    assert caught, f"{mistake.name} passes every check"
    assert any(mistake.name in text and "Hint:" in text for text in caught), caught
    assert not any("1 - beta" in text or "sqrt(1" in text for text in caught), "formula in feedback"


def test_negligible_step_feedback_gives_no_formula() -> None:
    with pytest.raises(GradingFailure) as failure:
        aq.check_negligible_every_later_step(lambda beta1, beta2, tolerance: 7)
    assert "Hint:" in str(failure.value)
    assert "beta1**t" not in str(failure.value) and "sqrt" not in str(failure.value)


# --- notebook 06, Exercise 1: adamw_step from the rule in words -----------------------------------
ADAMW_CHECKS = [check_trajectory, check_shapes_and_dtypes, check_edge_cases, check_inputs_unchanged]


def test_adamw_catalogue_keeps_the_kit_rule() -> None:
    """Only the mistakes differ from the kit's AdamW rule; the decoupled variant is exact."""
    kit = rule_for("adamw_step")
    assert (aw.ADAMW.reference, aw.ADAMW.state, aw.ADAMW.hyper) == (
        kit.reference,
        kit.state,
        kit.hyper,
    )
    rng = np.random.default_rng(6)
    args = [rng.standard_normal(5), rng.standard_normal(5), *np.abs(rng.standard_normal((2, 5)))]
    settings = dict(t=4, lr=0.3, beta1=0.8, beta2=0.99, eps=1e-8, weight_decay=0.7)
    for got, want in zip(
        aw._adamw_as("decoupled")(*args, **settings), ref.adamw_step(*args, **settings), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("mistake", aw.ADAMW_MISTAKES, ids=_names(aw.ADAMW_MISTAKES))
def test_each_adamw_misreading_is_named_without_the_decay_formula(mistake) -> None:
    caught = []
    for check in ADAMW_CHECKS:
        try:
            check(mistake.compute, aw.ADAMW)
        except GradingFailure as failure:
            caught.append(str(failure))
    assert caught, f"{mistake.name} passes every check"
    assert any(mistake.name in text for text in caught), caught
    for text in caught:  # the notebook gives the decay in words only; so does the feedback
        assert not re.search(r"lr ?\* ?(weight_decay|lambda) ?\* ?params|lr\*lambda", text), text
