"""Notebook 12's references (autograder/references.py) against torch.optim.Adafactor and Muon.

- Adafactor: the factored second moment (row and column statistics, and the estimate built from
  them) against the state torch.optim.Adafactor keeps, after every step of 200-step trajectories.
- Muon: torch runs its Newton-Schulz iteration in bfloat16. So the reference is checked twice:
  against torch's own function with the bfloat16 cast switched off (the same algorithm in float64,
  so it must agree to rounding), and against torch as shipped, with a tolerance set by bfloat16.
  A full Muon step (momentum, Nesterov, learning-rate adjustment, decay) is checked the same way.
- The state bytes: what Adafactor allocates is rows + cols numbers per matrix, not rows * cols.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch.optim import _muon

from autograder import references as ref

STEPS = 200
MATRICES = [(7, 5), (5, 7), (1, 6), (16, 16)]
# float64: both sides round the same operations in a different order; measured <= 1e-15.
ADAFACTOR_RTOL = {torch.float64: 1e-12, torch.float32: 5e-6}
# bfloat16 keeps 8 significant bits (unit roundoff 2**-9 = 2e-3), and the iteration's slope near
# a zero singular value is a**5 = 480, so rounding is amplified. Measured over 30 random
# rectangular matrices per shape, ||reference - torch||_F / ||reference||_F was at most 0.044
# (median 0.013-0.017); a random *square* matrix can have a singular value near 0 and reached
# 0.12, so the shipped-precision checks use rectangular matrices. 0.08 leaves a margin; the
# float64 checks (torch's own code with the cast switched off) are the strict ones.
BFLOAT16_RTOL = 0.08
FLOAT64_ATOL = 1e-12
COEFFICIENTS = (_muon.DEFAULT_A, _muon.DEFAULT_B, _muon.DEFAULT_C)


def _relative(got: np.ndarray, want: np.ndarray) -> float:
    """||got - want||_F / ||want||_F."""
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


@contextlib.contextmanager
def bfloat16_switched_off() -> Iterator[None]:
    """Make Tensor.bfloat16 return the tensor unchanged, so torch's Muon runs in float64."""
    original = torch.Tensor.bfloat16
    # A copy, as the real cast makes one: torch's iteration then divides it in place.
    torch.Tensor.bfloat16 = lambda self, *args, **kwargs: self.clone()  # type: ignore[method-assign]
    try:
        yield
    finally:
        torch.Tensor.bfloat16 = original  # type: ignore[method-assign]


def _gradients(shape: tuple[int, int], seed: int) -> np.ndarray:
    """STEPS gradients of wildly different scales, some of them exactly zero."""
    rng = np.random.default_rng(seed)
    grads = rng.standard_normal((STEPS, *shape)) * 10.0 ** rng.uniform(-4, 2, (STEPS, 1, 1))
    grads[rng.random(grads.shape) < 0.05] = 0.0
    return grads


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("shape", MATRICES, ids=str)
def test_adafactor_second_moment_matches_torch_state(shape, dtype) -> None:
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    weight = torch.nn.Parameter(torch.randn(shape, dtype=dtype))
    optimizer = torch.optim.Adafactor([weight], lr=0.01, beta2_decay=-0.7)
    rows, cols = np.zeros(shape[0], np_dtype), np.zeros(shape[1], np_dtype)
    worst = 0.0
    for step, grad in enumerate(_gradients(shape, seed=sum(shape)).astype(np_dtype), start=1):
        weight.grad = torch.tensor(grad)
        optimizer.step()
        rows, cols, v_hat = ref.adafactor_second_moment(rows, cols, grad, step, beta2_decay=-0.7)
        state = optimizer.state[weight]
        row_var, col_var = state["row_var"], state["col_var"]
        # What _single_tensor_adafactor builds from its state before the square root.
        floor = torch.finfo(dtype).eps
        want_v = (row_var @ col_var) / row_var.mean(dim=-2, keepdim=True).clamp(min=floor)
        for got, want in ((rows, row_var), (cols, col_var), (v_hat, want_v)):
            want = want.numpy().reshape(got.shape)
            assert got.dtype == np_dtype
            worst = max(worst, float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-300)))
    assert worst <= ADAFACTOR_RTOL[dtype], worst


def test_adafactor_state_bytes_are_rows_plus_cols() -> None:
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
    )
    optimizer = torch.optim.Adafactor(model.parameters())
    model(torch.randn(4, 784)).sum().backward()
    optimizer.step()
    allocated = sum(t.nbytes for s in optimizer.state.values() for k, t in s.items() if k != "step")
    numbers = sum(
        (p.shape[0] + p.shape[1]) if p.ndim == 2 else p.numel() for p in model.parameters()
    )
    assert allocated == 4 * numbers
    assert allocated < sum(p.numel() for p in model.parameters()) * 4 / 50


@pytest.mark.parametrize("shape", [(4, 4), (8, 3), (3, 8), (64, 32), (1, 5)], ids=str)
def test_newton_schulz_matches_torch_without_bfloat16(shape) -> None:
    update = np.random.default_rng(shape[0] * 31 + shape[1]).standard_normal(shape)
    with bfloat16_switched_off():
        want = _muon._zeropower_via_newtonschulz(torch.tensor(update), COEFFICIENTS, 5, 1e-7)
    assert want.dtype == torch.float64  # the switch really kept float64
    got = ref.newton_schulz(update)
    assert got.shape == shape
    assert np.abs(got - want.numpy()).max() <= FLOAT64_ATOL


@pytest.mark.parametrize("shape", [(8, 3), (3, 8), (64, 32), (256, 784)], ids=str)
def test_newton_schulz_matches_torch_in_bfloat16(shape) -> None:
    update = np.random.default_rng(shape[0] * 17 + shape[1]).standard_normal(shape)
    want = _muon._zeropower_via_newtonschulz(torch.tensor(update), COEFFICIENTS, 5, 1e-7)
    assert want.dtype == torch.bfloat16  # torch as shipped computes in bfloat16
    got = ref.newton_schulz(update)
    assert _relative(got, want.double().numpy()) <= BFLOAT16_RTOL


def test_newton_schulz_pushes_singular_values_towards_one() -> None:
    """Singular values spread over a factor 100 come out within [0.6, 1.2] (torch's a, b, c aim
    for roughly 0.7 to 1.15, not exactly 1)."""
    rng = np.random.default_rng(2)
    left, _ = np.linalg.qr(rng.standard_normal((32, 16)))
    right, _ = np.linalg.qr(rng.standard_normal((16, 16)))
    update = left @ np.diag(np.logspace(-1, 1, 16)) @ right
    singular = np.linalg.svd(ref.newton_schulz(update), compute_uv=False)
    assert 0.6 < singular.min() and singular.max() < 1.2, singular


@pytest.mark.parametrize("precision", ["float64", "bfloat16"])
@pytest.mark.parametrize("shape", [(6, 4), (4, 6)], ids=str)
@pytest.mark.parametrize("nesterov", [True, False])
def test_muon_step_matches_torch(shape, nesterov, precision) -> None:
    lr, mu, decay, steps = 0.02, 0.9, 0.05, 50
    rng = np.random.default_rng(11)
    params = rng.standard_normal(shape)
    weight = torch.nn.Parameter(torch.tensor(params))
    optimizer = torch.optim.Muon(
        [weight], lr=lr, momentum=mu, weight_decay=decay, nesterov=nesterov
    )
    buffer = np.zeros(shape)
    worst_step = 0.0
    for grad in rng.standard_normal((steps, *shape)):
        before = weight.detach().numpy().copy()
        weight.grad = torch.tensor(grad)
        with bfloat16_switched_off() if precision == "float64" else contextlib.nullcontext():
            optimizer.step()
        # The same step from torch's parameters, so that differences do not add up.
        want, buffer = ref.muon_step(before, grad, buffer, lr, mu, decay, nesterov)
        got = weight.detach().numpy()
        # The difference between the two steps, relative to the size of the step itself.
        worst_step = max(worst_step, _relative(got - before, want - before))
        torch_buffer = optimizer.state[weight]["momentum_buffer"].numpy()
        assert np.abs(buffer - torch_buffer).max() <= 1e-12  # the buffer never sees bfloat16
    limit = FLOAT64_ATOL if precision == "float64" else BFLOAT16_RTOL
    assert worst_step <= limit, worst_step


def test_references_reject_what_torch_rejects() -> None:
    with pytest.raises(ValueError):
        ref.newton_schulz(np.ones(5))  # a bias is not a matrix: torch raises too
    with pytest.raises(ValueError):
        ref.adafactor_second_moment(np.zeros(1), np.zeros(1), np.ones(5), 1)


# --- the hidden checks of notebook 12 on their own (the mutation corpus runs them in notebooks) ---
def _graded(check, fn) -> str:
    """Run a hidden check on fn (allowed to be course code here); '' when it passes."""
    from autograder.kit import borrowing

    with borrowing.stand_ins_allowed([fn]):
        try:
            check(fn)
        except AssertionError as error:
            return str(error)
    return ""


def _hidden():
    from autograder.hidden import nb12_beyond_the_source as hidden

    return hidden


def test_hidden_checks_accept_the_references() -> None:
    hidden = _hidden()
    checks = {
        ref.adafactor_second_moment: [
            hidden.check_moment_values,
            hidden.check_moment_trajectory,
            hidden.check_moment_shapes_dtypes,
            hidden.check_moment_inputs_unchanged,
        ],
        ref.newton_schulz: [
            hidden.check_ns_values,
            hidden.check_ns_tall,
            hidden.check_muon_trajectory,
            hidden.check_ns_contract,
        ],
        hidden.split_for_muon: [hidden.check_split_mlp, hidden.check_split_other_models],
    }
    for fn, graded in checks.items():
        for check in graded:
            assert _graded(check, fn) == "", check.__name__


def test_hidden_checks_name_every_catalogued_mistake() -> None:
    """Each mistake fails at least one check, and some check names it."""
    hidden = _hidden()
    groups = [
        (hidden.MOMENT_MISTAKES, [hidden.check_moment_values, hidden.check_moment_shapes_dtypes]),
        (hidden.NS_MISTAKES, [hidden.check_ns_values, hidden.check_ns_tall]),
        (hidden.SPLIT_MISTAKES, [hidden.check_split_mlp, hidden.check_split_other_models]),
    ]
    for mistakes, graded in groups:
        for mistake in mistakes:
            messages = [_graded(check, mistake.compute) for check in graded]
            assert any(messages), mistake.name
            assert any(mistake.name in m for m in messages), (mistake.name, messages)
