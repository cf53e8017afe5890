"""Momentum (09_pytorch_optimizers): a torch.optim.Optimizer, v = beta*v + g, p = p - lr*v."""

from .corpus import Right, Wrong

EXERCISE = "Momentum"

WRONG = [
    Wrong(
        "the EMA form of momentum",
        """
        if not state:
            state["velocity"] = torch.zeros_like(p)
        velocity = state["velocity"]
        velocity.mul_(beta).add_(grad, alpha=1 - beta)
        p.add_(velocity, alpha=-lr)
        """,
        caught_by=("values", "matches_library", "contract"),
        mistake="the EMA form of momentum, v = beta*v + (1-beta)*g",
    ),
    Wrong(
        "beta and lr swapped",
        """
        if not state:
            state["velocity"] = torch.zeros_like(p)
        velocity = state["velocity"]
        velocity.mul_(lr).add_(grad)
        p.add_(velocity, alpha=-beta)
        """,
        caught_by=("values", "matches_library", "contract"),
        mistake="beta and lr swapped (v = lr*v + g, p = p - beta*v)",
    ),
    Wrong(
        "the step taken with the old velocity",
        """
        if not state:
            state["velocity"] = torch.zeros_like(p)
        velocity = state["velocity"]
        p.add_(velocity, alpha=-lr)
        velocity.mul_(beta).add_(grad)
        """,
        caught_by=("values", "matches_library", "contract"),
        mistake="the step taken with the old velocity",
    ),
    Wrong(
        "the velocity reset on every step",
        """
        state["velocity"] = torch.zeros_like(p)
        velocity = state["velocity"]
        velocity.mul_(beta).add_(grad)
        p.add_(velocity, alpha=-lr)
        """,
        caught_by=("values", "matches_library", "contract"),
        mistake="no momentum at all (the velocity is just the gradient)",
    ),
    Wrong(
        "a Nesterov look-ahead step",
        """
        if not state:
            state["velocity"] = torch.zeros_like(p)
        velocity = state["velocity"]
        velocity.mul_(beta).add_(grad)
        p.add_(grad + beta * velocity, alpha=-lr)
        """,
        caught_by=("values", "matches_library", "contract"),
        mistake="a Nesterov look-ahead step (p - lr*(g + beta*v_new))",
    ),
    Wrong(
        "p = p - lr * v rebinds the name instead of updating the parameter",
        """
        if not state:
            state["velocity"] = torch.zeros_like(p)
        velocity = state["velocity"]
        velocity.mul_(beta).add_(grad)
        p = p - lr * velocity
        """,
        caught_by=("values", "matches_library", "contract"),
    ),
    Wrong(
        "the learning rate read from self.defaults, not the group",
        """
        if not state:
            state["velocity"] = torch.zeros_like(p)
        velocity = state["velocity"]
        velocity.mul_(beta).add_(grad)
        p.add_(velocity, alpha=-self.defaults["lr"])
        """,
        caught_by=("contract",),
    ),
    Wrong(
        "the velocity made with torch.zeros(p.shape) (float32 state)",
        """
        if not state:
            state["velocity"] = torch.zeros(p.shape)
        velocity = state["velocity"]
        velocity.mul_(beta).add_(grad)
        p.add_(velocity, alpha=-lr)
        """,
        caught_by=("values", "matches_library", "contract"),
    ),
    Wrong(
        "one velocity on the optimizer shared by every parameter",
        """
        if not hasattr(self, "velocity"):
            self.velocity = torch.zeros_like(p)
        state["velocity"] = self.velocity
        self.velocity.mul_(beta).add_(grad)
        p.add_(self.velocity, alpha=-lr)
        """,
        caught_by=("values", "matches_library", "contract"),
    ),
    Wrong(
        "a missing gradient treated as zero (state given, not skipped)",
        cell='''
        class Momentum(torch.optim.Optimizer):
            """SGD with momentum: v = beta*v + g, then p = p - lr*v."""

            def __init__(self, params, lr=0.01, beta=0.9):
                if lr < 0 or beta < 0:
                    raise ValueError(f"lr and beta must be >= 0, got lr={lr}, beta={beta}")
                super().__init__(params, dict(lr=lr, beta=beta))

            @torch.no_grad()
            def step(self, closure=None):
                loss = None
                if closure is not None:
                    with torch.enable_grad():
                        loss = closure()
                for group in self.param_groups:
                    lr, beta = group["lr"], group["beta"]
                    for p in group["params"]:
                        grad = p.grad if p.grad is not None else torch.zeros_like(p)
                        state = self.state[p]
                        if not state:
                            state["velocity"] = torch.zeros_like(p)
                        velocity = state["velocity"]
                        velocity.mul_(beta).add_(grad)
                        p.add_(velocity, alpha=-lr)
                return loss
        ''',
        caught_by=("contract",),
    ),
]

RIGHT = [
    Right(
        "setdefault, then plain tensor expressions",
        """
        velocity = state.setdefault("velocity", torch.zeros_like(p))
        velocity.mul_(beta).add_(grad)
        p.sub_(lr * velocity)
        """,
    ),
    Right(
        "a new velocity tensor stored each step",
        """
        state["velocity"] = beta * state["velocity"] + grad if state else grad.clone()
        p.sub_(lr * state["velocity"])
        """,
    ),
    Right(
        "torch._foreach ops",
        """
        if "velocity" not in state:
            state["velocity"] = torch.zeros_like(p)
        torch._foreach_mul_([state["velocity"]], beta)
        torch._foreach_add_([state["velocity"]], [grad])
        torch._foreach_add_([p], [state["velocity"]], alpha=-lr)
        """,
    ),
]
