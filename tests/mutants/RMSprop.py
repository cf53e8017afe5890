"""RMSprop (09_pytorch_optimizers): a torch.optim.Optimizer, cache = beta*cache + (1-beta)*g**2."""

from .corpus import Right, Wrong

EXERCISE = "RMSprop"

_INIT = """
if not state:
    state["cache"] = torch.zeros_like(p)
cache = state["cache"]
"""

WRONG = [
    Wrong(
        "no (1 - beta) factor on g**2",
        _INIT
        + """
cache.mul_(beta).addcmul_(grad, grad)
p.addcdiv_(grad, cache.sqrt() + eps, value=-lr)
""",
        caught_by=("values", "matches_library", "contract"),
        mistake="RMSprop without the (1 - beta) factor (cache = beta*cache + g**2)",
    ),
    Wrong(
        "eps inside the square root",
        _INIT
        + """
cache.mul_(beta).addcmul_(grad, grad, value=1 - beta)
p.addcdiv_(grad, (cache + eps).sqrt(), value=-lr)
""",
        caught_by=("values", "matches_library", "contract"),
        mistake="eps inside the square root (sqrt(cache + eps))",
    ),
    Wrong(
        "the step divided by the old cache",
        _INIT
        + """
p.addcdiv_(grad, cache.sqrt() + eps, value=-lr)
cache.mul_(beta).addcmul_(grad, grad, value=1 - beta)
""",
        caught_by=("values", "matches_library", "contract"),
        mistake="the step divided by the old cache",
    ),
    Wrong(
        "the denominator built in place on the cache",
        _INIT
        + """
cache.mul_(beta).addcmul_(grad, grad, value=1 - beta)
p.addcdiv_(grad, cache.sqrt_().add_(eps), value=-lr)
""",
        caught_by=("values", "matches_library", "contract"),
        mistake="the denominator built in place on the cache (cache.sqrt_() changes the state)",
    ),
    Wrong(
        "beta and (1 - beta) swapped",
        _INIT
        + """
cache.mul_(1 - beta).addcmul_(grad, grad, value=beta)
p.addcdiv_(grad, cache.sqrt() + eps, value=-lr)
""",
        caught_by=("values", "matches_library", "contract"),
        mistake="beta and (1 - beta) swapped in the cache",
    ),
    Wrong(
        "torch's alpha = 0.99 instead of the group's beta",
        _INIT
        + """
alpha = group.get("alpha", 0.99)
cache.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
p.addcdiv_(grad, cache.sqrt() + eps, value=-lr)
""",
        caught_by=("values", "matches_library", "contract"),
        mistake="torch's default alpha = 0.99 used instead of the group's beta",
    ),
    Wrong(
        "eps hard-coded to 1e-8",
        _INIT
        + """
cache.mul_(beta).addcmul_(grad, grad, value=1 - beta)
p.addcdiv_(grad, cache.sqrt() + 1e-8, value=-lr)
""",
        caught_by=("values", "matches_library", "contract"),
        mistake="the group's eps ignored",
    ),
    Wrong(
        "p = p - ... rebinds the name instead of updating the parameter",
        _INIT
        + """
cache.mul_(beta).addcmul_(grad, grad, value=1 - beta)
p = p - lr * grad / (cache.sqrt() + eps)
""",
        caught_by=("values", "matches_library", "contract"),
    ),
]

RIGHT = [
    Right(
        "setdefault and plain tensor expressions",
        """
        cache = state.setdefault("cache", torch.zeros_like(p))
        cache.mul_(beta).add_((1 - beta) * grad * grad)
        p.sub_(lr * grad / (cache.sqrt() + eps))
        """,
    ),
    Right(
        "torch._foreach ops",
        """
        if "cache" not in state:
            state["cache"] = torch.zeros_like(p)
        caches = [state["cache"]]
        torch._foreach_mul_(caches, beta)
        torch._foreach_addcmul_(caches, [grad], [grad], value=1 - beta)
        denominators = torch._foreach_sqrt(caches)
        torch._foreach_add_(denominators, eps)
        torch._foreach_addcdiv_([p], [grad], denominators, value=-lr)
        """,
    ),
    Right(
        "a new cache tensor stored each step",
        """
        old = state["cache"] if state else torch.zeros_like(p)
        state["cache"] = beta * old + (1 - beta) * grad.square()
        p.add_(-lr * grad / (torch.sqrt(state["cache"]) + eps))
        """,
    ),
]
