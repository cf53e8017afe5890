"""Lion (09_pytorch_optimizers): sign(beta1*m + (1-beta1)*g) with the old m, then m with beta2."""

from .corpus import Right, Wrong

EXERCISE = "Lion"


def _lion(
    direction: str = "direction = (beta1 * m + (1 - beta1) * grad).sign()",
    update: str = "p.mul_(1 - lr * weight_decay).add_(direction, alpha=-lr)",
    momentum: str = "m.mul_(beta2).add_(grad, alpha=1 - beta2)",
    first: bool = False,
) -> str:
    """The solution with some of its lines replaced (``first``: m updated before the sign)."""
    lines = ["if not state:", '    state["m"] = torch.zeros_like(p)', 'm = state["m"]']
    body = [momentum, direction, update] if first else [direction, update, momentum]
    return "\n".join(lines + body)


WRONG = [
    Wrong(
        "beta1 and beta2 swapped",
        _lion(
            direction="direction = (beta2 * m + (1 - beta2) * grad).sign()",
            momentum="m.mul_(beta1).add_(grad, alpha=1 - beta1)",
        ),
        caught_by=("values", "matches_library", "contract"),
        mistake="beta1 and beta2 swapped",
    ),
    Wrong(
        "the momentum updated before the sign",
        _lion(first=True),
        caught_by=("values", "matches_library"),
        mistake="the momentum updated before taking the sign",
    ),
    Wrong(
        "the sign of the raw gradient",
        _lion(direction="direction = grad.sign()"),
        caught_by=("values", "matches_library", "contract"),
        mistake="the sign of the raw gradient (no interpolation with m)",
    ),
    Wrong(
        "no sign()",
        _lion(direction="direction = beta1 * m + (1 - beta1) * grad"),
        caught_by=("values", "matches_library", "contract"),
        mistake="no sign() (the interpolation used as the step)",
    ),
    Wrong(
        "decay not scaled by lr",
        _lion(update="p.mul_(1 - weight_decay).add_(direction, alpha=-lr)"),
        caught_by=("values", "matches_library", "contract"),
        mistake="weight decay not scaled by the learning rate (params * (1 - lambda))",
    ),
    Wrong(
        "decay applied after the step",
        _lion(update="p.add_(direction, alpha=-lr).mul_(1 - lr * weight_decay)"),
        caught_by=("values", "matches_library", "contract"),
        mistake="decay applied after the step ((p - lr*sign) * (1 - lr*lambda))",
    ),
    Wrong(
        "the interpolation computed in place on the stored m",
        _lion(direction="direction = m.mul_(beta1).add_(grad, alpha=1 - beta1).sign()"),
        caught_by=("values", "matches_library", "contract"),
        mistake="the momentum overwritten by the interpolation",
    ),
    Wrong(
        "the momentum updated with beta1",
        _lion(momentum="m.mul_(beta1).add_(grad, alpha=1 - beta1)"),
        caught_by=("values", "matches_library", "contract"),
        mistake="the momentum updated with beta1",
    ),
    Wrong(
        "p = p * (1 - lr*wd) - ... rebinds the name instead of updating the parameter",
        _lion(update="p = p * (1 - lr * weight_decay) - lr * direction"),
        caught_by=("values", "matches_library", "contract"),
    ),
]

RIGHT = [
    Right(
        "torch.lerp for both averages",
        """
        if not state:
            state["m"] = torch.zeros_like(p)
        m = state["m"]
        direction = torch.lerp(grad, m, beta1).sign_()
        p.mul_(1 - lr * weight_decay)
        p.add_(direction, alpha=-lr)
        m.lerp_(grad, 1 - beta2)
        """,
    ),
    Right(
        "plain expressions, p.copy_ and a new m stored each step",
        """
        m = state["m"] if state else torch.zeros_like(p)
        direction = torch.sign(beta1 * m + (1 - beta1) * grad)
        p.copy_(p * (1 - lr * weight_decay) - lr * direction)
        state["m"] = beta2 * m + (1 - beta2) * grad
        """,
    ),
]
