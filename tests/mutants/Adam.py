"""Adam (09_pytorch_optimizers): a torch.optim.Optimizer with bias correction and state["t"]."""

from .corpus import Right, Wrong

EXERCISE = "Adam"


def _adam(
    count: str = 'state["t"] += 1',
    moments: str = (
        "m.mul_(beta1).add_(grad, alpha=1 - beta1)\n"
        "v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)"
    ),
    hats: str = "m_hat = m / (1 - beta1**t)\nv_hat = v / (1 - beta2**t)",
    update: str = "p.addcdiv_(m_hat, v_hat.sqrt() + eps, value=-lr)",
    start: str = "0",
) -> str:
    """The solution with some of its lines replaced."""
    return "\n".join(
        [
            "if not state:",
            f'    state["t"] = {start}',
            '    state["m"] = torch.zeros_like(p)',
            '    state["v"] = torch.zeros_like(p)',
            count,
            't, m, v = state["t"], state["m"], state["v"]',
            moments,
            hats,
            update,
        ]
    )


WRONG = [
    Wrong(
        "no bias correction",
        _adam(hats="m_hat, v_hat = m, v"),
        caught_by=("values", "matches_library", "contract"),
        mistake="Adam without bias correction",
    ),
    Wrong(
        "bias correction with t + 1",
        _adam(hats="m_hat = m / (1 - beta1 ** (t + 1))\nv_hat = v / (1 - beta2 ** (t + 1))"),
        caught_by=("values", "matches_library", "contract"),
        mistake="bias correction with t counted from 0 (1 - beta**(t+1))",
    ),
    Wrong(
        "eps inside the square root",
        _adam(update="p.addcdiv_(m_hat, (v_hat + eps).sqrt(), value=-lr)"),
        caught_by=("values", "matches_library", "contract"),
        mistake="eps inside the square root (sqrt(v_hat + eps))",
    ),
    Wrong(
        "beta1 and beta2 swapped",
        _adam(
            moments="m.mul_(beta2).add_(grad, alpha=1 - beta2)\n"
            "v.mul_(beta1).addcmul_(grad, grad, value=1 - beta1)",
            hats="m_hat = m / (1 - beta2**t)\nv_hat = v / (1 - beta1**t)",
        ),
        caught_by=("values", "matches_library", "contract"),
        mistake="beta1 and beta2 swapped",
    ),
    Wrong(
        "bias correction in place on the stored m",
        _adam(hats="m_hat = m.div_(1 - beta1**t)\nv_hat = v / (1 - beta2**t)"),
        caught_by=("values", "matches_library", "contract"),
        mistake="m overwritten by m_hat (an in-place m.div_(1 - beta1**t) on the state)",
    ),
    Wrong(
        "the denominator built in place on v",
        _adam(
            hats="m_hat = m / (1 - beta1**t)",
            update="p.addcdiv_(m_hat, v.div_(1 - beta2**t).sqrt_().add_(eps), value=-lr)",
        ),
        caught_by=("values", "matches_library", "contract"),
        mistake="the denominator built in place on v (v.sqrt_().add_(eps) changes the state)",
    ),
    Wrong(
        "t starts at 1 and is never increased",
        _adam(count="", start="1"),
        caught_by=("values", "matches_library", "contract"),
        mistake="the step counter never increased (t = 1 on every step)",
    ),
    Wrong(
        "one step counter on the optimizer, shared by every parameter",
        _adam(count='self.t = getattr(self, "t", 0) + 1\nstate["t"] = self.t'),
        caught_by=("values", "contract"),
        mistake="one step counter shared by all parameters",
    ),
    Wrong(
        "p = p - ... rebinds the name instead of updating the parameter",
        _adam(update="p = p - lr * m_hat / (v_hat.sqrt() + eps)"),
        caught_by=("values", "matches_library", "contract"),
    ),
]

RIGHT = [
    Right(
        "PyTorch's algebra, t as a tensor",
        """
        if not state:
            state["t"] = torch.tensor(0.0)
            state["m"] = torch.zeros_like(p)
            state["v"] = torch.zeros_like(p)
        state["t"] += 1
        t = state["t"].item()
        exp_avg, exp_avg_sq = state["m"], state["v"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        denom = (exp_avg_sq.sqrt() / bias_correction2**0.5).add_(eps)
        p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
        """,
    ),
    Right(
        "torch._foreach ops and plain expressions",
        """
        if "t" not in state:
            state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
        state["t"] = t = state["t"] + 1
        torch._foreach_mul_([state["m"], state["v"]], [beta1, beta2])
        torch._foreach_add_([state["m"]], [grad], alpha=1 - beta1)
        torch._foreach_addcmul_([state["v"]], [grad], [grad], value=1 - beta2)
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        p.sub_(lr * m_hat / (torch.sqrt(v_hat) + eps))
        """,
    ),
]
