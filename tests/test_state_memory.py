"""Notebook 07's state-memory grader: the reference passes, known mistakes are named, bad answers
get messages that say which property failed, and the reference agrees with what torch.optim and
lion-pytorch allocate."""

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
