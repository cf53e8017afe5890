"""RMSprop (09_pytorch_optimizers): update() on the given skeleton, cache = beta*cache +
(1-beta)*g**2, then p = p - lr*g/(sqrt(cache) + eps)."""

from .corpus import Right, Wrong

EXERCISE = "RMSprop"
ALL = ("values", "matches_library", "contract")
AVERAGE = "cache.mul_(beta).addcmul_(grad, grad, value=1 - beta)"
STEP = "p.addcdiv_(grad, cache.sqrt() + eps, value=-lr)"


def _update(*lines: str) -> str:
    """An update() body: the group's hyperparameters and the stored cache, then ``lines``."""
    head = ['lr, beta, eps = group["lr"], group["beta"], group["eps"]', 'cache = state["cache"]']
    return "\n".join([*head, *lines])


WRONG = [
    Wrong(
        "no (1 - beta) factor on the squared gradient",
        _update("cache.mul_(beta).addcmul_(grad, grad)", STEP),
        caught_by=ALL,
        mistake="RMSprop without the (1 - beta) factor (cache = beta*cache + g**2)",
    ),
    Wrong(
        "eps inside the square root",
        _update(AVERAGE, "p.addcdiv_(grad, (cache + eps).sqrt(), value=-lr)"),
        caught_by=ALL,
        mistake="eps inside the square root (sqrt(cache + eps))",
    ),
    Wrong(
        "the step divided by the old cache",
        _update(STEP, AVERAGE),
        caught_by=ALL,
        mistake="the step divided by the old cache",
    ),
    Wrong(
        "the denominator built in place on the cache",
        _update(AVERAGE, "p.addcdiv_(grad, cache.sqrt_().add_(eps), value=-lr)"),
        caught_by=ALL,
        mistake="the denominator built in place on the cache (cache.sqrt_() changes the state)",
    ),
    Wrong(
        "torch's alpha = 0.99 written in instead of the group's beta",
        _update("cache.mul_(0.99).addcmul_(grad, grad, value=0.01)", STEP),
        caught_by=ALL,
        mistake="torch's default alpha = 0.99 used instead of the group's beta",
    ),
    Wrong(
        "cache = beta * cache + ... rebinds the name: the state stays zero",
        _update("cache = beta * cache + (1 - beta) * grad * grad", STEP),
        caught_by=ALL,
        mistake="the state is not carried from one step to the next",
    ),
    Wrong(
        "beta and (1 - beta) swapped",
        _update("cache.mul_(1 - beta).addcmul_(grad, grad, value=beta)", STEP),
        caught_by=ALL,
        mistake="beta and (1 - beta) swapped in the cache",
    ),
]

RIGHT = [
    Right(
        "lerp towards g**2, then p -= ...",
        """
        cache = state["cache"]
        cache.lerp_(grad.square(), 1 - group["beta"])
        p -= group["lr"] * grad / (cache.sqrt() + group["eps"])
        """,
    ),
    Right(
        "a new cache tensor stored in the state",
        """
        beta = group["beta"]
        state["cache"] = beta * state["cache"] + (1 - beta) * grad**2
        denominator = torch.sqrt(state["cache"]).add_(group["eps"])
        p.addcdiv_(grad, denominator, value=-group["lr"])
        """,
    ),
]
