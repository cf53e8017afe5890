"""AdamW (09_pytorch_optimizers): Adam's step and the old parameter decayed by lr*weight_decay."""

from .corpus import Right, Wrong

EXERCISE = "AdamW"


def _adamw(
    grad: str = "",
    hats: str = "m_hat = m / (1 - beta1**t)\nv_hat = v / (1 - beta2**t)",
    update: str = (
        "p.mul_(1 - lr * weight_decay)\np.addcdiv_(m_hat, v_hat.sqrt() + eps, value=-lr)"
    ),
) -> str:
    """The solution with some of its lines replaced."""
    return "\n".join(
        [
            "if not state:",
            '    state["t"] = 0',
            '    state["m"] = torch.zeros_like(p)',
            '    state["v"] = torch.zeros_like(p)',
            'state["t"] += 1',
            't, m, v = state["t"], state["m"], state["v"]',
            grad,
            "m.mul_(beta1).add_(grad, alpha=1 - beta1)",
            "v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)",
            hats,
            update,
        ]
    )


_ADAM_STEP = "p.addcdiv_(m_hat, v_hat.sqrt() + eps, value=-lr)"

WRONG = [
    Wrong(
        "L2 regularisation: weight_decay * p added to the gradient",
        _adamw(grad="grad = grad.add(p, alpha=weight_decay)", update=_ADAM_STEP),
        caught_by=("values", "matches_library", "contract"),
        mistake="Adam + L2 (lambda * params added to the gradient)",
    ),
    Wrong(
        "decay not scaled by lr",
        _adamw(update="p.mul_(1 - weight_decay)\n" + _ADAM_STEP),
        caught_by=("values", "matches_library", "contract"),
        mistake="weight decay not scaled by the learning rate (- lambda * params)",
    ),
    Wrong(
        "decay applied after the Adam step",
        _adamw(update=_ADAM_STEP + "\np.mul_(1 - lr * weight_decay)"),
        caught_by=("values", "matches_library", "contract"),
        mistake="decay applied to the updated parameter ((p - step) * (1 - lr*lambda))",
    ),
    Wrong(
        "decay with the wrong sign",
        _adamw(update="p.add_(p, alpha=lr * weight_decay)\n" + _ADAM_STEP),
        caught_by=("values", "matches_library", "contract"),
        mistake="weight decay with the wrong sign (+ lr*lambda*params)",
    ),
    Wrong(
        "no weight decay (plain Adam)",
        _adamw(update=_ADAM_STEP),
        caught_by=("values", "matches_library", "contract"),
        mistake="no weight decay at all (plain Adam)",
    ),
    Wrong(
        "no bias correction",
        _adamw(hats="m_hat, v_hat = m, v"),
        caught_by=("values", "matches_library", "contract"),
        mistake="AdamW without bias correction",
    ),
    Wrong(
        "eps inside the square root",
        _adamw(
            update="p.mul_(1 - lr * weight_decay)\n"
            "p.addcdiv_(m_hat, (v_hat + eps).sqrt(), value=-lr)"
        ),
        caught_by=("values", "matches_library", "contract"),
        mistake="eps inside the square root (sqrt(v_hat + eps))",
    ),
    Wrong(
        "weight_decay read from self.defaults, not the group",
        _adamw(update='p.mul_(1 - lr * self.defaults["weight_decay"])\n' + _ADAM_STEP),
        caught_by=("contract",),
    ),
    Wrong(
        "p = p * (1 - lr*wd) - ... rebinds the name instead of updating the parameter",
        _adamw(update="p = p * (1 - lr * weight_decay) - lr * m_hat / (v_hat.sqrt() + eps)"),
        caught_by=("values", "matches_library", "contract"),
    ),
]

RIGHT = [
    Right(
        "decay as p.add_(p, alpha=-lr*wd), t as a tensor",
        """
        if not state:
            state["t"] = torch.zeros((), dtype=torch.int64)
            state["m"] = torch.zeros_like(p)
            state["v"] = torch.zeros_like(p)
        t = int(state["t"].add_(1))
        m, v = state["m"], state["v"]
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = (v.sqrt() / (1 - beta2**t) ** 0.5).add_(eps)
        p.add_(p, alpha=-lr * weight_decay)
        p.addcdiv_(m, denom, value=-lr / (1 - beta1**t))
        """,
    ),
    Right(
        "the whole update computed first, then applied with torch._foreach ops",
        """
        if "m" not in state:
            state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
        state["t"] += 1
        t = state["t"]
        torch._foreach_mul_([state["m"], state["v"]], [beta1, beta2])
        torch._foreach_add_([state["m"]], [grad], alpha=1 - beta1)
        torch._foreach_addcmul_([state["v"]], [grad], [grad], value=1 - beta2)
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        update = m_hat / (v_hat.sqrt() + eps) + weight_decay * p
        torch._foreach_add_([p], [update], alpha=-lr)
        """,
    ),
]
