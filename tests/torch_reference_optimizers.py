"""Correct torch.optim.Optimizer classes for notebook 09 (its solutions, written independently):
the tests check that the hidden checks give them every point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


class _CourseOptimizer(torch.optim.Optimizer):
    """The skeleton the notebook gives: closure, groups, parameters without a gradient skipped."""

    def _update(self, p: torch.Tensor, grad: torch.Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                self._update(p, p.grad, self.state[p], group)
        return loss


def _check_positive(**values: float) -> None:
    for key, value in values.items():
        if not value >= 0.0:
            raise ValueError(f"{key} must be >= 0, got {value}")


class Momentum(_CourseOptimizer):
    """v = beta*v + g; p = p - lr*v."""

    def __init__(self, params: Any, lr: float = 0.01, beta: float = 0.9) -> None:
        _check_positive(lr=lr, beta=beta)
        super().__init__(params, {"lr": lr, "beta": beta})

    def _update(self, p, grad, state, group):
        if not state:
            state["velocity"] = torch.zeros_like(p)
        velocity = state["velocity"]
        velocity.mul_(group["beta"]).add_(grad)
        p.add_(velocity, alpha=-group["lr"])


class RMSprop(_CourseOptimizer):
    """cache = beta*cache + (1-beta)*g**2; p = p - lr*g/(sqrt(cache) + eps)."""

    def __init__(self, params: Any, lr: float = 0.001, beta: float = 0.9, eps: float = 1e-8):
        _check_positive(lr=lr, beta=beta, eps=eps)
        super().__init__(params, {"lr": lr, "beta": beta, "eps": eps})

    def _update(self, p, grad, state, group):
        if not state:
            state["cache"] = torch.zeros_like(p)
        cache = state["cache"]
        cache.mul_(group["beta"]).addcmul_(grad, grad, value=1 - group["beta"])
        p.addcdiv_(grad, cache.sqrt().add_(group["eps"]), value=-group["lr"])


class Adam(_CourseOptimizer):
    """Adam with bias correction; state["t"] counts this parameter's steps from 1."""

    def __init__(
        self,
        params: Any,
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        _check_positive(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        super().__init__(params, {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps})

    def _direction(self, grad, state, group, p):
        if not state:
            state["t"] = 0
            state["m"] = torch.zeros_like(p)
            state["v"] = torch.zeros_like(p)
        state["t"] += 1
        t, beta1, beta2 = state["t"], group["beta1"], group["beta2"]
        m, v = state["m"], state["v"]
        m.mul_(beta1).add_(grad, alpha=1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return m_hat, v_hat.sqrt_().add_(group["eps"])

    def _update(self, p, grad, state, group):
        m_hat, denominator = self._direction(grad, state, group, p)
        p.addcdiv_(m_hat, denominator, value=-group["lr"])


class AdamW(Adam):
    """Adam's step, and the old parameter decayed by lr * weight_decay."""

    def __init__(
        self,
        params: Any,
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        _check_positive(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)
        torch.optim.Optimizer.__init__(
            self,
            params,
            {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay},
        )

    def _update(self, p, grad, state, group):
        m_hat, denominator = self._direction(grad, state, group, p)
        p.mul_(1 - group["lr"] * group["weight_decay"])
        p.addcdiv_(m_hat, denominator, value=-group["lr"])


class Lion(_CourseOptimizer):
    """sign(beta1*m + (1-beta1)*g) with the old m; decoupled decay; then m with beta2."""

    def __init__(
        self,
        params: Any,
        lr: float = 0.0001,
        beta1: float = 0.9,
        beta2: float = 0.99,
        weight_decay: float = 0.0,
    ) -> None:
        _check_positive(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay)
        defaults = {"lr": lr, "beta1": beta1, "beta2": beta2, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        if not state:
            state["m"] = torch.zeros_like(p)
        m, beta1, beta2 = state["m"], group["beta1"], group["beta2"]
        direction = (m * beta1).add_(grad, alpha=1 - beta1).sign_()
        p.mul_(1 - group["lr"] * group["weight_decay"]).add_(direction, alpha=-group["lr"])
        m.mul_(beta2).add_(grad, alpha=1 - beta2)


REFERENCE_CLASSES: dict[str, type[torch.optim.Optimizer]] = {
    "Momentum": Momentum,
    "RMSprop": RMSprop,
    "Adam": Adam,
    "AdamW": AdamW,
    "Lion": Lion,
}
