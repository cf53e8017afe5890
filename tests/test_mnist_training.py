"""Hidden tests of notebook 11 (autograder/hidden/nb11_mnist_showdown.py): the references pass,
each named mistake is caught and named, and malformed answers get a clear message."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from autograder.hidden import nb11_mnist_showdown as mt
from autograder.kit.core import GradingFailure
from optimlab.mnist_mlp import batch_indices

TRAIN_CHECKS = [
    mt.check_train_epoch_losses,
    mt.check_train_epoch_updates,
    mt.check_train_epoch_contract,
]
EVALUATE_CHECKS = [
    mt.check_evaluate_values,
    mt.check_evaluate_batches,
    mt.check_evaluate_edge_cases,
]
BYTES_CHECKS = [
    mt.check_state_bytes_library,
    mt.check_state_bytes_custom,
    mt.check_state_bytes_groups,
]


@pytest.mark.parametrize(
    "check, fn",
    [(c, mt.train_epoch) for c in TRAIN_CHECKS]
    + [(c, mt.evaluate_accuracy) for c in EVALUATE_CHECKS]
    + [(c, mt.torch_state_bytes) for c in BYTES_CHECKS],
    ids=lambda x: getattr(x, "__name__", str(x)),
)
def test_references_pass_every_check(check, fn) -> None:
    check(fn)


# ------------------------------------------------------------------------------ train_epoch


@pytest.mark.parametrize("mistake", mt.TRAIN_MISTAKES, ids=lambda m: m.name[:40])
def test_each_training_mistake_is_named_by_the_losses_check(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        mt.check_train_epoch_losses(mistake.compute)
    assert mistake.name in str(failure.value)
    assert "Hint:" in str(failure.value)


@pytest.mark.parametrize(
    "mistake",
    [m for m in mt.TRAIN_MISTAKES if "last" not in m.name],
    ids=lambda m: m.name[:40],
)
def test_each_training_mistake_is_named_by_the_updates_check(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake"):
        mt.check_train_epoch_updates(mistake.compute)


def _variant(*, shuffle_with=None, detach=True, steps=True, one_number=False, same_order=False):
    def train(model, optimizer, X, y, batch_size, generator):
        if same_order:
            generator = torch.Generator().manual_seed(0)
        if shuffle_with == "global":
            order = torch.randperm(len(X)).split(batch_size)
        else:
            order = batch_indices(len(X), batch_size, generator)
        losses = []
        for idx in order:
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            if steps:
                optimizer.step()
            losses.append(loss.detach() if detach else loss)
        if one_number:
            return torch.stack(losses).mean()
        return torch.stack(losses) if detach else losses

    return train


def test_shuffling_without_the_generator_is_caught() -> None:
    with pytest.raises(GradingFailure, match="same seed gave different"):
        mt.check_train_epoch_contract(_variant(shuffle_with="global"))


def test_the_same_order_every_epoch_is_caught() -> None:
    with pytest.raises(GradingFailure, match="same batch order"):
        mt.check_train_epoch_contract(_variant(same_order=True))


def test_attached_losses_are_explained() -> None:
    with pytest.raises(GradingFailure, match="detach"):
        mt.check_train_epoch_losses(_variant(detach=False))


def test_a_single_number_is_explained() -> None:
    with pytest.raises(GradingFailure, match="one loss per batch"):
        mt.check_train_epoch_losses(_variant(one_number=True))


def test_no_step_is_explained() -> None:
    with pytest.raises(GradingFailure, match="never changed"):
        mt.check_train_epoch_updates(_variant(steps=False))


def test_changing_the_data_in_place_is_caught() -> None:
    def shuffles_in_place(model, optimizer, X, y, batch_size, generator):
        losses = mt.train_epoch(model, optimizer, X, y, batch_size, generator)
        X.mul_(1.0001)
        return losses

    with pytest.raises(GradingFailure, match="X or y was changed"):
        mt.check_train_epoch_contract(shuffles_in_place)


def test_losses_as_a_list_of_floats_are_accepted() -> None:
    def as_floats(*args):
        return [float(v) for v in mt.train_epoch(*args)]

    for check in TRAIN_CHECKS:
        check(as_floats)


# ------------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    "mistake",
    [m for m in mt.EVALUATE_MISTAKES if "last" not in m.name],
    ids=lambda m: m.name[:40],
)
def test_each_evaluation_mistake_is_named(mistake) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        mt.check_evaluate_values(mistake.compute)
    assert mistake.name in str(failure.value)


def test_leaving_out_the_last_batch_is_named() -> None:
    def no_last(model, X, y, batch_size=1000):
        full = (len(X) // batch_size) * batch_size
        return mt.evaluate_accuracy(model, X[:full], y[:full], batch_size) if full else 0.0

    with pytest.raises(GradingFailure, match="last, smaller batch left out"):
        mt.check_evaluate_values(no_last)


def test_evaluation_with_gradients_is_caught() -> None:
    def with_grad(model, X, y, batch_size=1000):
        correct = 0
        for start in range(0, len(X), batch_size):
            pred = model(X[start : start + batch_size]).argmax(dim=1)
            correct += int((pred == y[start : start + batch_size]).sum())
        return correct / len(X)

    with pytest.raises(GradingFailure, match="no_grad"):
        mt.check_evaluate_batches(with_grad)


def test_evaluation_in_one_piece_is_caught() -> None:
    def one_batch(model, X, y, batch_size=1000):
        return mt.evaluate_accuracy(model, X, y, batch_size=len(X))

    with pytest.raises(GradingFailure, match="at once"):
        mt.check_evaluate_batches(one_batch)


def test_a_tensor_result_is_explained() -> None:
    def tensor(model, X, y, batch_size=1000):
        return torch.tensor(mt.evaluate_accuracy(model, X, y, batch_size))

    with pytest.raises(GradingFailure, match=r"\.item\(\)"):
        mt.check_evaluate_values(tensor)


# --------------------------------------------------------------------- optimizer state bytes


@pytest.mark.parametrize("mistake", mt.STATE_BYTES_MISTAKES, ids=lambda m: m.name[:40])
def test_each_state_bytes_mistake_is_named_by_some_check(mistake) -> None:
    messages = []
    for check in BYTES_CHECKS:
        try:
            check(mistake.compute)
        except GradingFailure as failure:
            messages.append(str(failure))
    assert messages, f"{mistake.name} passed every check"
    assert any(mistake.name in m for m in messages), messages


def test_a_float_result_is_explained() -> None:
    with pytest.raises(GradingFailure, match="expected an int"):
        mt.check_state_bytes_library(lambda opt: float(mt.torch_state_bytes(opt)))


def test_non_tensor_state_values_are_handled() -> None:
    def counts_everything(opt):
        return sum(
            v.numel() * v.element_size() if isinstance(v, torch.Tensor) else 8
            for s in opt.state.values()
            for v in s.values()
        )

    with pytest.raises(GradingFailure, match="expected"):
        mt.check_state_bytes_custom(counts_everything)


# ------------------------------------------------------------------------------ all checks


@pytest.mark.parametrize(
    "check", TRAIN_CHECKS + EVALUATE_CHECKS + BYTES_CHECKS, ids=lambda c: c.__name__
)
def test_the_stub_error_passes_through(check) -> None:
    def stub(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check(stub)


@pytest.mark.parametrize(
    "check", TRAIN_CHECKS + EVALUATE_CHECKS + BYTES_CHECKS, ids=lambda c: c.__name__
)
def test_a_crash_is_reported(check) -> None:
    def crash(*args, **kwargs):
        raise IndexError("index 5 is out of bounds")

    with pytest.raises(GradingFailure, match="raised IndexError"):
        check(crash)


def test_checks_write_nothing_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    import sys
    import warnings

    def noisy(fn):
        def wrapped(*args, **kwargs):
            print("debug", file=sys.stderr)
            warnings.warn("student warning", stacklevel=1)
            return fn(*args, **kwargs)

        return wrapped

    for check in TRAIN_CHECKS:
        check(noisy(mt.train_epoch))
    for check in EVALUATE_CHECKS:
        check(noisy(mt.evaluate_accuracy))
    for check in BYTES_CHECKS:
        check(noisy(mt.torch_state_bytes))
    assert capfd.readouterr().err == ""
