"""Notebook 07's state-memory grader: the reference passes, known mistakes are named, bad answers
get messages that say which property failed, and the reference agrees with what torch.optim and
lion-pytorch allocate. At the end, the same for its thinking exercise (the Lion rate whose first
step is as long as Adam's), checked against torch.optim.Adam's and lion-pytorch's first steps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.hidden import nb07_lion as sm
from autograder.kit.core import GradingFailure

CHECKS = [sm.check_state_arrays, sm.check_dtypes, sm.check_many_tensors, sm.check_interface]
PROPERTIES = {
    sm.check_state_arrays: "State arrays per optimizer",
    sm.check_dtypes: "Bytes per number from the dtype",
    sm.check_many_tensors: "Numbers in every parameter tensor",
    sm.check_interface: "The function's contract",
}
MLP = [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_reference_passes_every_check(check) -> None:
    check(sm.optimizer_state_bytes)


def test_reference_values_written_out() -> None:
    assert sm.optimizer_state_bytes("sgd", [(10,)], np.float32) == 0
    assert sm.optimizer_state_bytes("momentum", [(10,)], np.float32) == 40
    assert sm.optimizer_state_bytes("adam", [(10,)], np.float32) == 80
    assert sm.optimizer_state_bytes("lion", [(3, 5)], "float16") == 30
    assert sm.optimizer_state_bytes("adamw", MLP, np.float32) == 1_881_168
    assert sm.optimizer_state_bytes("rmsprop", [(), (2, 3)], np.float64) == 56
    assert sm.optimizer_state_bytes("adam", [], np.float64) == 0
    assert sm.optimizer_state_bytes("adam", [(7_000_000_000,)], np.float16) == 28_000_000_000
    assert isinstance(sm.optimizer_state_bytes("lion", [()], np.float32), int)
    with pytest.raises(ValueError, match="unknown optimizer"):
        sm.optimizer_state_bytes("adagrad", [(3,)])


def _caught_by_some_check(fn) -> GradingFailure:
    for check in CHECKS:
        try:
            check(fn)
        except GradingFailure as failure:
            return failure
    raise AssertionError("no check caught this answer")


@pytest.mark.parametrize(
    "mistake", sm.MISTAKES, ids=[f"{k}:{m.name[:40]}" for k, m in enumerate(sm.MISTAKES)]
)
def test_each_known_mistake_fails_and_is_named(mistake) -> None:
    failure = _caught_by_some_check(mistake.compute)
    text = str(failure)
    assert "known mistake" in text and mistake.name in text, text
    assert "Hint:" in text


def test_each_check_names_its_property() -> None:
    def off_by_one(optimizer, param_shapes, dtype=np.float32):
        return sm.optimizer_state_bytes(optimizer, param_shapes, dtype) + 1

    for check, prop in PROPERTIES.items():
        if check is sm.check_interface:
            continue
        with pytest.raises(GradingFailure, match=f"^{prop}: optimizer_state_bytes"):
            check(off_by_one)


def test_distinct_mistakes_in_one_check_are_told_apart() -> None:
    """'Always 8 bytes' and 'parameters counted' agree for one-array optimizers in float32."""
    always_8 = next(m for m in sm.MISTAKES if "always 8 bytes" in m.name)
    with pytest.raises(GradingFailure, match="always 8 bytes"):
        sm.check_state_arrays(always_8.compute)


def _with_np_prod(optimizer, param_shapes, dtype=np.float32):
    arrays = sm.STATE_ARRAYS[optimizer]
    return sum(arrays * np.prod(s) * np.dtype(dtype).itemsize for s in param_shapes)


def test_float_from_np_prod_is_caught_only_by_the_contract() -> None:
    sm.check_state_arrays(_with_np_prod)
    sm.check_dtypes(_with_np_prod)
    sm.check_many_tensors(_with_np_prod)
    with pytest.raises(GradingFailure, match="The function's contract.*expected an int"):
        sm.check_interface(_with_np_prod)


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda o, s, d=np.float32: "80 bytes", "expected a whole number of bytes"),
        (lambda o, s, d=np.float32: np.nan, "expected a whole number of bytes"),
        (lambda o, s, d=np.float32: 1 / 0, "raised ZeroDivisionError"),
        ("not a function", "should be a function"),
    ],
    ids=["string", "nan", "raises", "not-callable"],
)
def test_bad_answers_get_clear_messages(bad, message: str) -> None:
    with pytest.raises(GradingFailure, match=message):
        sm.check_state_arrays(bad)


def test_contract_failures_are_explained() -> None:
    def no_value_error(optimizer, param_shapes, dtype=np.float32):
        arrays = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2, "lion": 1}
        return arrays.get(optimizer, 0) * sum(math.prod(s) for s in param_shapes) * 4

    with pytest.raises(GradingFailure, match="should raise ValueError"):
        sm.check_interface(no_value_error)

    def key_error(optimizer, param_shapes, dtype=np.float32):
        arrays = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2, "lion": 1}
        return arrays[optimizer] * sum(math.prod(s) for s in param_shapes) * 4

    with pytest.raises(GradingFailure, match="should raise ValueError.*KeyError"):
        sm.check_interface(key_error)

    def sorts_in_place(optimizer, param_shapes, dtype=np.float32):
        param_shapes.sort()
        return sm.optimizer_state_bytes(optimizer, param_shapes, dtype)

    with pytest.raises(GradingFailure, match="changed the list param_shapes"):
        sm.check_interface(sorts_in_place)

    def list_only(optimizer, param_shapes, dtype=np.float32):
        return sm.optimizer_state_bytes(optimizer, param_shapes + [], dtype)

    with pytest.raises(
        GradingFailure, match="The function.s contract: .*tuple of shapes.*raised TypeError"
    ):
        sm.check_interface(list_only)


def test_noisy_correct_answer_passes_without_writing_to_stderr(capfd) -> None:
    import warnings

    def chatty(optimizer, param_shapes, dtype=np.float32):
        print("counting", optimizer)
        warnings.warn("a warning from student code", stacklevel=1)
        return sm.optimizer_state_bytes(optimizer, param_shapes, dtype)

    for check in CHECKS:
        check(chatty)
    assert capfd.readouterr().err == ""


def test_stub_errors_pass_through_unchanged() -> None:
    def stub(*args, **kwargs):
        raise NotImplementedError()

    for check in CHECKS:
        with pytest.raises(NotImplementedError):
            check(stub)


@pytest.mark.parametrize("name", sm.OPTIMIZERS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reference_matches_what_torch_allocates(name: str, dtype: str) -> None:
    """Sum of nbytes over optimizer.state after one step, leaving out the scalar 'step'."""
    torch = pytest.importorskip("torch")
    from lion_pytorch import Lion

    torch.manual_seed(0)
    layers = [torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3, bias=False)]
    model = torch.nn.Sequential(*layers).to(getattr(torch, dtype))
    params = list(model.parameters())
    optimizer = {
        "sgd": lambda: torch.optim.SGD(params, lr=0.1),
        "momentum": lambda: torch.optim.SGD(params, lr=0.1, momentum=0.9),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=0.01),
        "adam": lambda: torch.optim.Adam(params, lr=0.01),
        "adamw": lambda: torch.optim.AdamW(params, lr=0.01),
        "lion": lambda: Lion(params, lr=0.001),
    }[name]()
    model(torch.randn(4, 6, dtype=getattr(torch, dtype))).square().sum().backward()
    optimizer.step()
    allocated = sum(
        value.nbytes
        for state in optimizer.state.values()
        for key, value in state.items()
        if torch.is_tensor(value) and key != "step"
    )
    shapes = [tuple(p.shape) for p in params]
    assert allocated == sm.optimizer_state_bytes(name, shapes, dtype)


# --- notebook 07's thinking exercise: the Lion rate that matches Adam's first step ---------------
def _student_matching(grad, adam_lr, eps=1e-8):
    """A right answer written as a student would, coordinate by coordinate."""
    adam_squares, moved = 0.0, 0
    for value in np.ravel(grad).tolist():
        adam_squares += (adam_lr * abs(value) / (abs(value) + eps)) ** 2
        moved += value != 0
    return math.sqrt(adam_squares / moved)


@pytest.mark.parametrize("check", [sm.check_matching_values, sm.check_matching_edge_cases])
def test_a_right_matching_answer_passes(check) -> None:
    check(_student_matching)


@pytest.mark.parametrize("scale", [1e-10, 1e-8, 1e-6, 1.0, 1e2])
@pytest.mark.parametrize("eps", [1e-8, 1e-3])
def test_matching_reference_is_what_torch_adam_and_lion_pytorch_step(scale, eps) -> None:
    """At the reference rate lion-pytorch's first step is exactly as long as torch.optim.Adam's."""
    torch = pytest.importorskip("torch")
    from lion_pytorch import Lion

    grad = scale * np.random.default_rng(7).standard_normal(50)
    grad[::7] = 0.0  # zero entries do not move under either optimizer
    lengths = []
    for make in (
        lambda w: torch.optim.Adam([w], lr=1e-3, betas=(0.8, 0.95), eps=eps),
        lambda w: Lion([w], lr=sm.lion_lr_matching_adam(grad, 1e-3, eps)),
    ):
        weights = torch.nn.Parameter(torch.zeros(grad.size, dtype=torch.float64))
        optimizer = make(weights)
        weights.grad = torch.tensor(grad)
        optimizer.step()
        lengths.append(float(torch.linalg.vector_norm(weights.detach())))
    assert lengths[1] == pytest.approx(lengths[0], rel=1e-9)


def test_matching_mistakes_differ_from_the_reference_where_it_matters() -> None:
    """Each named mistake is wrong on a gradient near eps with zero entries (so it can be told
    apart); the eps-free mistake is right on large gradients, which is why the checks go small."""
    grad = np.array([3e-8, -1e-8, 0.0, 2e-9, 0.0])
    right = _student_matching(grad, 1e-3)
    guesses = [m.compute(grad, 1e-3, 1e-8) for m in sm.MATCH_MISTAKES]
    assert all(abs(g - right) > 1e-6 * right for g in guesses)
    assert len({round(g / right, 9) for g in guesses}) == len(guesses)
    assert sm.MATCH_MISTAKES[0].compute(np.array([3.0, -4.0]), 1e-3) == pytest.approx(
        _student_matching(np.array([3.0, -4.0]), 1e-3)
    )
