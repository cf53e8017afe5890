"""AdamW (09_pytorch_optimizers): a subclass of the student's Adam whose update() adds only the
decoupled decay of the old parameter; graded with a correct Adam beneath it."""

from .corpus import Right, Wrong

EXERCISE = "AdamW"
ALL = ("values", "matches_library", "contract")
ADAM = "super().update(p, grad, state, group)"


def _update(*lines: str) -> str:
    """An update() body: the group's lr and weight_decay, then ``lines``."""
    return "\n".join(['lr, weight_decay = group["lr"], group["weight_decay"]', *lines])


WRONG = [
    Wrong(
        "L2 regularisation: weight_decay * p added to the gradient before Adam",
        _update("super().update(p, grad + weight_decay * p, state, group)"),
        caught_by=ALL,
        mistake="Adam + L2 (lambda * params added to the gradient)",
    ),
    Wrong(
        "decay not scaled by lr",
        _update("p.mul_(1 - weight_decay)", ADAM),
        caught_by=ALL,
        mistake="weight decay not scaled by the learning rate (- lambda * params)",
    ),
    Wrong(
        "decay applied after the Adam step",
        _update(ADAM, "p.mul_(1 - lr * weight_decay)"),
        caught_by=ALL,
        mistake="decay applied to the updated parameter ((p - step) * (1 - lr*lambda))",
    ),
    Wrong(
        "decay with the wrong sign",
        _update("p.add_(p, alpha=lr * weight_decay)", ADAM),
        caught_by=ALL,
        mistake="weight decay with the wrong sign (+ lr*lambda*params)",
    ),
    Wrong(
        "no weight decay (Adam's update only)",
        _update(ADAM),
        caught_by=ALL,
        mistake="no weight decay at all (plain Adam)",
    ),
    Wrong(
        "weight_decay read from self.defaults, not the group",
        _update('p.mul_(1 - lr * self.defaults["weight_decay"])', ADAM),
        caught_by=("contract",),
    ),
    Wrong(
        "p = p * (1 - lr*wd) rebinds the name: Adam then updates a copy",
        _update("p = p * (1 - lr * weight_decay)", ADAM),
        caught_by=ALL,
    ),
]

RIGHT = [
    Right(
        "the old parameter kept, Adam's step, then the decay subtracted",
        """
        old = p.clone()
        super().update(p, grad, state, group)
        p.add_(old, alpha=-group["lr"] * group["weight_decay"])
        """,
    ),
    Right(
        "the decay as p.sub_, then Adam's update called on the class",
        """
        p.sub_(group["lr"] * group["weight_decay"] * p)
        Adam.update(self, p, grad, state, group)
        """,
    ),
]
