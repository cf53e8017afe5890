"""Momentum (09_pytorch_optimizers): update() on the given skeleton, v = beta*v + g, then
p = p - lr*v."""

from .corpus import Right, Wrong

EXERCISE = "Momentum"
ALL = ("values", "matches_library", "contract")


def _update(*lines: str) -> str:
    """An update() body: the group's hyperparameters and the stored velocity, then ``lines``."""
    return "\n".join(
        ['lr, beta = group["lr"], group["beta"]', 'velocity = state["velocity"]', *lines]
    )


WRONG = [
    Wrong(
        "the EMA form of momentum",
        _update("velocity.mul_(beta).add_(grad, alpha=1 - beta)", "p.add_(velocity, alpha=-lr)"),
        caught_by=ALL,
        mistake="the EMA form of momentum, v = beta*v + (1-beta)*g",
    ),
    Wrong(
        "beta and lr swapped",
        _update("velocity.mul_(lr).add_(grad)", "p.add_(velocity, alpha=-beta)"),
        caught_by=ALL,
        mistake="beta and lr swapped (v = lr*v + g, p = p - beta*v)",
    ),
    Wrong(
        "the step taken with the old velocity",
        _update("p.add_(velocity, alpha=-lr)", "velocity.mul_(beta).add_(grad)"),
        caught_by=ALL,
        mistake="the step taken with the old velocity",
    ),
    Wrong(
        "velocity = beta * velocity + grad rebinds the name: the state stays zero",
        _update("velocity = beta * velocity + grad", "p.add_(velocity, alpha=-lr)"),
        caught_by=ALL,
        mistake="the state is not carried from one step to the next",
    ),
    Wrong(
        "a Nesterov look-ahead step",
        _update("velocity.mul_(beta).add_(grad)", "p.add_(grad + beta * velocity, alpha=-lr)"),
        caught_by=ALL,
        mistake="a Nesterov look-ahead step (p - lr*(g + beta*v_new))",
    ),
    Wrong(
        "the step taken uphill",
        _update("velocity.mul_(beta).add_(grad)", "p.add_(velocity, alpha=lr)"),
        caught_by=ALL,
        mistake="the step taken uphill (params + lr * v)",
    ),
    Wrong(
        "p = p - lr * v rebinds the name instead of updating the parameter",
        _update("velocity.mul_(beta).add_(grad)", "p = p - lr * velocity"),
        caught_by=ALL,
    ),
    Wrong(
        "the learning rate read from self.defaults, not the group",
        _update("velocity.mul_(beta).add_(grad)", 'p.add_(velocity, alpha=-self.defaults["lr"])'),
        caught_by=("contract",),
    ),
]

RIGHT = [
    Right(
        "a new velocity tensor stored in the state each step",
        """
        state["velocity"] = group["beta"] * state["velocity"] + grad
        p.sub_(group["lr"] * state["velocity"])
        """,
    ),
    Right(
        "torch._foreach ops",
        """
        torch._foreach_mul_([state["velocity"]], group["beta"])
        torch._foreach_add_([state["velocity"]], [grad])
        torch._foreach_add_([p], [state["velocity"]], alpha=-group["lr"])
        """,
    ),
]
