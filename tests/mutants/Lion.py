"""Lion (09_pytorch_optimizers): update() on the given skeleton, sign(beta1*m + (1-beta1)*g) with
the old m, the decoupled decay, then m with beta2."""

from .corpus import Right, Wrong

EXERCISE = "Lion"
ALL = ("values", "matches_library", "contract")
DIRECTION = "direction = (beta1 * m + (1 - beta1) * grad).sign()"
STEP = "p.mul_(1 - lr * wd).add_(direction, alpha=-lr)"
MOMENTUM = "m.mul_(beta2).add_(grad, alpha=1 - beta2)"


def _update(*lines: str) -> str:
    """An update() body: the group's hyperparameters and the stored m, then ``lines``."""
    head = [
        'lr, beta1, beta2 = group["lr"], group["beta1"], group["beta2"]',
        'wd = group["weight_decay"]',
        'm = state["m"]',
    ]
    return "\n".join([*head, *lines])


WRONG = [
    Wrong(
        "beta1 and beta2 swapped",
        _update(
            "direction = (beta2 * m + (1 - beta2) * grad).sign()",
            STEP,
            "m.mul_(beta1).add_(grad, alpha=1 - beta1)",
        ),
        caught_by=ALL,
        mistake="beta1 and beta2 swapped",
    ),
    Wrong(
        "the momentum updated before taking the sign",
        _update(MOMENTUM, DIRECTION, STEP),
        caught_by=("values", "matches_library"),
        mistake="the momentum updated before taking the sign",
    ),
    Wrong(
        "the sign of the raw gradient",
        _update("direction = grad.sign()", STEP, MOMENTUM),
        caught_by=ALL,
        mistake="the sign of the raw gradient (no interpolation with m)",
    ),
    Wrong(
        "no sign()",
        _update("direction = beta1 * m + (1 - beta1) * grad", STEP, MOMENTUM),
        caught_by=ALL,
        mistake="no sign() (the interpolation used as the step)",
    ),
    Wrong(
        "decay not scaled by lr",
        _update(DIRECTION, "p.mul_(1 - wd).add_(direction, alpha=-lr)", MOMENTUM),
        caught_by=("values", "matches_library"),
        mistake="weight decay not scaled by the learning rate (params * (1 - lambda))",
    ),
    Wrong(
        "decay applied after the step",
        _update(DIRECTION, "p.add_(direction, alpha=-lr).mul_(1 - lr * wd)", MOMENTUM),
        caught_by=("values", "matches_library"),
        mistake="decay applied after the step ((p - lr*sign) * (1 - lr*lambda))",
    ),
    Wrong(
        "the momentum overwritten by the interpolation",
        _update("direction = m.mul_(beta1).add_(grad, alpha=1 - beta1).sign()", STEP, MOMENTUM),
        caught_by=ALL,
        mistake="the momentum overwritten by the interpolation",
    ),
    Wrong(
        "the momentum updated with beta1",
        _update(DIRECTION, STEP, "m.mul_(beta1).add_(grad, alpha=1 - beta1)"),
        caught_by=ALL,
        mistake="the momentum updated with beta1",
    ),
    Wrong(
        "m = ... rebinds the name: the state stays zero",
        _update(DIRECTION, STEP, "m = beta2 * m + (1 - beta2) * grad"),
        caught_by=ALL,
        mistake="the state is not carried from one step to the next",
    ),
]

RIGHT = [
    Right(
        "torch.lerp for both interpolations",
        """
        m, lr = state["m"], group["lr"]
        direction = torch.lerp(m, grad, 1 - group["beta1"]).sign_()
        p.mul_(1 - lr * group["weight_decay"])
        p.add_(direction, alpha=-lr)
        m.lerp_(grad, 1 - group["beta2"])
        """,
    ),
    Right(
        "the decay and the step as one expression, a new m stored",
        """
        lr, beta1, beta2 = group["lr"], group["beta1"], group["beta2"]
        m = state["m"]
        update = torch.sign(m * beta1 + grad * (1 - beta1))
        p.sub_(lr * (update + group["weight_decay"] * p))
        state["m"] = beta2 * m + (1 - beta2) * grad
        """,
    ),
]
