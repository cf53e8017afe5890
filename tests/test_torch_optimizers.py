"""Hidden tests of notebook 09 (autograder/torch_optimizers.py): right classes pass, wrong ones
fail with a message that names the mistake, and the checks agree with torch.optim/lion-pytorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lion_pytorch import Lion as LibraryLion

from autograder.hidden import nb09_pytorch_optimizers as to
from autograder.kit.core import GradingFailure
from tests import torch_reference_optimizers as ref_cls
from tests.torch_reference_optimizers import REFERENCE_CLASSES

CHECKS = [to.check_trajectory, to.check_float32, to.check_contract]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", sorted(to.SPECS))
def test_reference_classes_pass_every_check(name: str, check) -> None:
    check(REFERENCE_CLASSES[name], name)


def test_specs_match_the_numpy_references_defaults() -> None:
    """The classes' defaults are the course's: the NumPy references' keyword defaults."""
    import inspect

    for spec in to.SPECS.values():
        signature = inspect.signature(spec.reference)
        for key, value in spec.defaults.items():
            default = signature.parameters[key].default
            if default is not inspect.Parameter.empty:
                assert default == value, (spec.name, key)
        cls_signature = inspect.signature(REFERENCE_CLASSES[spec.name].__init__)
        assert list(cls_signature.parameters)[2:] == list(spec.defaults)
        assert {k: cls_signature.parameters[k].default for k in spec.defaults} == spec.defaults


# ------------------------------------------------------------------ the library passes as well


def _mirror(optimizer: torch.optim.Optimizer, names: dict[str, str]) -> None:
    """Expose the library's state under the course's names (same tensors, no copy)."""
    for state in optimizer.state.values():
        for course, library in names.items():
            if library in state:
                value = state[library]
                state[course] = int(value.item()) if course == "t" else value


def _library(name: str) -> type:
    if name == "Momentum":

        class Library(torch.optim.SGD):
            def __init__(self, params, lr=0.01, beta=0.9):
                super().__init__(params, lr=lr, momentum=beta, dampening=0.0, foreach=False)

            def step(self, closure=None):
                loss = super().step(closure)
                _mirror(self, {"velocity": "momentum_buffer"})
                return loss

    elif name == "RMSprop":

        class Library(torch.optim.RMSprop):
            def __init__(self, params, lr=0.001, beta=0.9, eps=1e-8):
                super().__init__(params, lr=lr, alpha=beta, eps=eps, foreach=False)

            def step(self, closure=None):
                loss = super().step(closure)
                _mirror(self, {"cache": "square_avg"})
                return loss

    elif name in ("Adam", "AdamW"):
        base = torch.optim.Adam if name == "Adam" else torch.optim.AdamW

        class Library(base):
            def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, **kw):
                super().__init__(params, lr=lr, betas=(beta1, beta2), eps=eps, foreach=False, **kw)

            def step(self, closure=None):
                loss = super().step(closure)
                _mirror(self, {"m": "exp_avg", "v": "exp_avg_sq", "t": "step"})
                return loss

    else:

        class Library(LibraryLion):
            def __init__(self, params, lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
                super().__init__(params, lr=lr, betas=(beta1, beta2), weight_decay=weight_decay)

            def step(self, closure=None):
                loss = super().step(closure)
                _mirror(self, {"m": "exp_avg"})
                return loss

    return Library


@pytest.mark.parametrize("check", [to.check_trajectory, to.check_float32], ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", sorted(to.SPECS))
def test_torch_optim_and_lion_pytorch_pass_the_trajectory_checks(name: str, check) -> None:
    """The graded trajectories are the library's too: torch.optim (lion-pytorch) passes them."""
    check(_library(name), name)


# ---------------------------------------------------------------------- wrong classes fail


def _variant(base: type, update) -> type:
    return type(f"Wrong{base.__name__}", (base,), {"update": update})


def _ema_momentum(self, p, grad, state, group):
    state["velocity"].mul_(group["beta"]).add_(grad, alpha=1 - group["beta"])
    p.add_(state["velocity"], alpha=-group["lr"])


def _rmsprop_sqrt_in_place(self, p, grad, state, group):
    cache = state["cache"]
    cache.mul_(group["beta"]).addcmul_(grad, grad, value=1 - group["beta"])
    p.addcdiv_(grad, cache.sqrt_().add_(group["eps"]), value=-group["lr"])


def _rmsprop_torch_alpha(self, p, grad, state, group):
    ref_cls.RMSprop.update(self, p, grad, state, dict(group, beta=0.99))


def _adam_no_bias_correction(self, p, grad, state, group):
    m, v = state["m"], state["v"]
    m.mul_(group["beta1"]).add_(grad, alpha=1 - group["beta1"])
    v.mul_(group["beta2"]).addcmul_(grad, grad, value=1 - group["beta2"])
    p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-group["lr"])


def _adam_m_hat_in_place(self, p, grad, state, group):
    t, m, v = state["t"], state["m"], state["v"]
    m.mul_(group["beta1"]).add_(grad, alpha=1 - group["beta1"])
    v.mul_(group["beta2"]).addcmul_(grad, grad, value=1 - group["beta2"])
    m_hat = m.div_(1 - group["beta1"] ** t)
    p.addcdiv_(
        m_hat, (v / (1 - group["beta2"] ** t)).sqrt_().add_(group["eps"]), value=-group["lr"]
    )


def _adam_denominator_in_place(self, p, grad, state, group):
    t, m, v = state["t"], state["m"], state["v"]
    m.mul_(group["beta1"]).add_(grad, alpha=1 - group["beta1"])
    v.mul_(group["beta2"]).addcmul_(grad, grad, value=1 - group["beta2"])
    denominator = v.div_(1 - group["beta2"] ** t).sqrt_().add_(group["eps"])
    p.addcdiv_(m / (1 - group["beta1"] ** t), denominator, value=-group["lr"])


def _adam_t_increased_again(self, p, grad, state, group):
    state["t"] += 1  # the skeleton has already counted this update
    ref_cls.Adam.update(self, p, grad, state, group)


def _adam_state_not_carried(self, p, grad, state, group):
    m, v = state["m"], state["v"]
    m = m * group["beta1"] + (1 - group["beta1"]) * grad  # rebinds the name: state["m"] stays 0
    v = v * group["beta2"] + (1 - group["beta2"]) * grad * grad
    t = state["t"]
    denominator = (v / (1 - group["beta2"] ** t)).sqrt() + group["eps"]
    p.addcdiv_(m / (1 - group["beta1"] ** t), denominator, value=-group["lr"])


class _CounterOnSelfAdam(ref_cls.Adam):
    """One counter on self, increased once per step(): right until state_dict/None grads."""

    def step(self, closure=None):
        self.t = getattr(self, "t", 0) + 1
        return super().step(closure)

    def update(self, p, grad, state, group):
        ref_cls.Adam.update(self, p, grad, dict(state, t=self.t), group)


def _adamw_decay_after(self, p, grad, state, group):
    ref_cls.Adam.update(self, p, grad, state, group)
    p.mul_(1 - group["lr"] * group["weight_decay"])


def _adamw_l2(self, p, grad, state, group):
    ref_cls.Adam.update(self, p, grad + group["weight_decay"] * p, state, group)


def _lion_momentum_overwritten(sign_in_place):
    def update(self, p, grad, state, group):
        m = state["m"]
        direction = m.mul_(group["beta1"]).add_(grad, alpha=1 - group["beta1"])
        direction = direction.sign_() if sign_in_place else direction.sign()
        p.mul_(1 - group["lr"] * group["weight_decay"]).add_(direction, alpha=-group["lr"])
        m.mul_(group["beta2"]).add_(grad, alpha=1 - group["beta2"])

    return update


def _lion_momentum_first(self, p, grad, state, group):
    m = state["m"]
    m.mul_(group["beta2"]).add_(grad, alpha=1 - group["beta2"])
    direction = (m * group["beta1"]).add_(grad, alpha=1 - group["beta1"]).sign_()
    p.mul_(1 - group["lr"] * group["weight_decay"]).add_(direction, alpha=-group["lr"])


NAMED_MISTAKES = [
    ("Momentum", _variant(ref_cls.Momentum, _ema_momentum), "the EMA form of momentum"),
    ("RMSprop", _variant(ref_cls.RMSprop, _rmsprop_sqrt_in_place), "denominator built in place"),
    ("RMSprop", _variant(ref_cls.RMSprop, _rmsprop_torch_alpha), "alpha = 0.99"),
    ("Adam", _variant(ref_cls.Adam, _adam_no_bias_correction), "Adam without bias correction"),
    ("Adam", _variant(ref_cls.Adam, _adam_m_hat_in_place), "m overwritten by m_hat"),
    (
        "Adam",
        _variant(ref_cls.Adam, _adam_denominator_in_place),
        "denominator built in place on v",
    ),
    ("Adam", _variant(ref_cls.Adam, _adam_t_increased_again), "increased a second time"),
    ("Adam", _variant(ref_cls.Adam, _adam_state_not_carried), "not carried"),
    (
        "AdamW",
        _variant(ref_cls.AdamW, _adamw_decay_after),
        "decay applied to the updated parameter",
    ),
    ("AdamW", _variant(ref_cls.AdamW, _adamw_l2), "Adam + L2"),
    (
        "Lion",
        _variant(ref_cls.Lion, _lion_momentum_overwritten(False)),
        "overwritten by the interp",
    ),
    ("Lion", _variant(ref_cls.Lion, _lion_momentum_overwritten(True)), "overwritten by the sign"),
    (
        "Lion",
        _variant(ref_cls.Lion, _lion_momentum_first),
        "momentum updated before taking the sign",
    ),
]


@pytest.mark.parametrize(
    "name, cls, expected", NAMED_MISTAKES, ids=[f"{n}:{e[:30]}" for n, _, e in NAMED_MISTAKES]
)
def test_known_mistakes_are_named(name: str, cls: type, expected: str) -> None:
    with pytest.raises(GradingFailure, match="known mistake") as failure:
        to.check_trajectory(cls, name)
    assert expected in str(failure.value), str(failure.value)
    assert "Hint:" in str(failure.value)


def test_a_hard_coded_hyperparameter_is_named() -> None:
    def fixed_beta(self, p, grad, state, group):
        ref_cls.Momentum.update(self, p, grad, state, dict(group, beta=0.9))

    with pytest.raises(GradingFailure, match="the group's beta ignored"):
        to.check_trajectory(_variant(ref_cls.Momentum, fixed_beta), "Momentum")


def test_rebinding_instead_of_updating_in_place_is_explained() -> None:
    def rebinding(self, p, grad, state, group):
        state["velocity"].mul_(group["beta"]).add_(grad)
        p = p - group["lr"] * state["velocity"]  # noqa: F841 - the mistake under test

    with pytest.raises(GradingFailure, match="never changed") as failure:
        to.check_trajectory(_variant(ref_cls.Momentum, rebinding), "Momentum")
    assert "in place" in str(failure.value)


def test_a_new_tensor_for_the_parameter_is_caught() -> None:
    def new_memory(self, p, grad, state, group):
        ref_cls.Momentum.update(self, p, grad, state, group)
        p.data = p.data.clone()

    with pytest.raises(GradingFailure, match="new memory"):
        to.check_trajectory(_variant(ref_cls.Momentum, new_memory), "Momentum")


def test_state_with_the_wrong_dtype_is_explained() -> None:
    def float32_state(self, p, grad, state, group):
        if state["t"] == 1:
            state["velocity"] = torch.zeros(p.shape)  # float32 on the CPU, whatever p is
        ref_cls.Momentum.update(self, p, grad, state, group)

    with pytest.raises(GradingFailure, match="zeros_like"):
        to.check_trajectory(_variant(ref_cls.Momentum, float32_state), "Momentum")


def test_state_under_other_names_is_explained() -> None:
    def torch_names(self, p, grad, state, group):
        state.pop("velocity", None)
        state.setdefault("momentum_buffer", torch.zeros_like(p))
        state["momentum_buffer"].mul_(group["beta"]).add_(grad)
        p.add_(state["momentum_buffer"], alpha=-group["lr"])

    with pytest.raises(GradingFailure, match="'momentum_buffer'.*expected a 'velocity'"):
        to.check_contract(_variant(ref_cls.Momentum, torch_names), "Momentum")


def test_a_counter_on_self_fails_the_contract_only() -> None:
    to.check_trajectory(_CounterOnSelfAdam, "Adam")
    with pytest.raises(GradingFailure, match="first gradient at step 6|state_dict"):
        to.check_contract(_CounterOnSelfAdam, "Adam")


def test_lr_from_defaults_instead_of_the_group_is_explained() -> None:
    def defaults_lr(self, p, grad, state, group):
        ref_cls.Momentum.update(self, p, grad, state, dict(group, lr=self.defaults["lr"]))

    with pytest.raises(GradingFailure, match="other group's hyperparameters"):
        to.check_contract(_variant(ref_cls.Momentum, defaults_lr), "Momentum")


def test_a_missing_no_grad_is_explained() -> None:
    class NoDecorator(ref_cls.Momentum):
        def step(self, closure=None):  # the @torch.no_grad() decorator left out
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        state = self.state[p]
                        state.setdefault("velocity", torch.zeros_like(p))
                        state["t"] = state.get("t", 0) + 1
                        self.update(p, p.grad, state, group)

    with pytest.raises(GradingFailure, match="no_grad"):
        to.check_trajectory(NoDecorator, "Momentum")


def test_not_skipping_missing_gradients_is_explained() -> None:
    class NoSkip(ref_cls.Momentum):
        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    self.state[p].setdefault("velocity", torch.zeros_like(p))
                    self.update(p, p.grad, self.state[p], group)

    with pytest.raises(GradingFailure, match="p.grad is None"):
        to.check_contract(NoSkip, "Momentum")


def test_a_closure_that_is_not_returned_is_caught() -> None:
    class NoReturn(ref_cls.Momentum):
        @torch.no_grad()
        def step(self, closure=None):
            if closure is not None:
                with torch.enable_grad():
                    closure()
            super().step()

    with pytest.raises(GradingFailure, match="closure's loss"):
        to.check_contract(NoReturn, "Momentum")


@pytest.mark.parametrize(
    "bad, message",
    [
        (object, "subclass of torch.optim.Optimizer"),
        ("Momentum", "subclass of torch.optim.Optimizer"),
    ],
)
def test_not_an_optimizer_class(bad, message: str) -> None:
    with pytest.raises(GradingFailure, match=message):
        to.check_trajectory(bad, "Momentum")


def test_a_crashing_step_is_reported_with_the_error() -> None:
    def crash(self, p, grad, state, group):
        raise KeyError("velocity")

    with pytest.raises(GradingFailure, match="raised KeyError"):
        to.check_trajectory(_variant(ref_cls.Momentum, crash), "Momentum")


def test_the_stub_error_passes_through() -> None:
    def stub(self, p, grad, state, group):
        raise NotImplementedError()

    for check in CHECKS:
        with pytest.raises(NotImplementedError):
            check(_variant(ref_cls.Momentum, stub), "Momentum")


def test_checks_write_nothing_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    def noisy(self, p, grad, state, group):
        import sys
        import warnings

        print("debug", file=sys.stderr)
        warnings.warn("student warning", stacklevel=1)
        ref_cls.Momentum.update(self, p, grad, state, group)

    for check in CHECKS:
        check(_variant(ref_cls.Momentum, noisy), "Momentum")
    assert capfd.readouterr().err == ""


def test_float32_checks_dtype() -> None:
    def upcast(self, p, grad, state, group):
        if state["t"] == 1:
            state["velocity"] = torch.zeros_like(p, dtype=torch.float64)
        ref_cls.Momentum.update(self, p, grad, state, group)

    with pytest.raises(GradingFailure, match="float64"):
        to.check_float32(_variant(ref_cls.Momentum, upcast), "Momentum")


def test_gradients_reach_the_interesting_regimes() -> None:
    """Tiny and huge gradients and exact zeros are in the graded runs (from make_gradients)."""
    _, grads = to._starts_and_grads([(7,), (3, 4)], 200, 909, np.float64)
    scales = np.abs(grads[1]).reshape(200, -1).max(axis=1)
    assert scales.min() == 0.0 and scales.max() > 1.0
    assert np.any((scales > 0) & (scales < 1e-8))


# ------------------------------------------------------------ AdamW graded on a correct Adam


def _adamw_on(adam: type) -> type:
    """A student's AdamW: a subclass of their Adam that adds only the decoupled decay."""

    class AdamW(adam):
        def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
            ref_cls.CourseOptimizer.__init__(
                self, params, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay
            )

        def update(self, p, grad, state, group):
            p.mul_(1 - group["lr"] * group["weight_decay"])
            super().update(p, grad, state, group)

    return AdamW


def test_a_mistake_in_adam_is_not_charged_again_in_adamw() -> None:
    wrong_adam = type("Adam", (ref_cls.Adam,), {"update": _adam_no_bias_correction})
    adamw = _adamw_on(wrong_adam)
    for check in CHECKS:
        check(adamw, "AdamW")
    assert vars(wrong_adam)["update"] is _adam_no_bias_correction  # the student's Adam is back
    with pytest.raises(GradingFailure, match="Adam without bias correction"):
        to.check_trajectory(wrong_adam, "Adam")


def test_adamw_own_mistake_is_named_on_a_wrong_adam() -> None:
    wrong_adam = type("Adam", (ref_cls.Adam,), {"update": _adam_no_bias_correction})

    def decay_inside_gradient(self, p, grad, state, group):  # L2: the decay enters the moments
        super(type(self), self).update(p, grad + group["weight_decay"] * p, state, group)

    adamw = type("AdamW", (wrong_adam,), {"update": decay_inside_gradient})
    adamw.__init__ = _adamw_on(ref_cls.Adam).__init__
    with pytest.raises(GradingFailure, match="Adam \\+ L2"):
        to.check_trajectory(adamw, "AdamW")
