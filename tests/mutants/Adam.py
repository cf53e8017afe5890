"""Adam (09_pytorch_optimizers): update() on the given skeleton, which creates m and v and counts
this update in state["t"] before it calls update()."""

from .corpus import Right, Wrong

EXERCISE = "Adam"
ALL = ("values", "matches_library", "contract")
MOMENTS = (
    "m.mul_(beta1).add_(grad, alpha=1 - beta1)",
    "v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)",
)
HATS = ("m_hat = m / (1 - beta1**t)", "v_hat = v / (1 - beta2**t)")
STEP = "p.addcdiv_(m_hat, v_hat.sqrt() + eps, value=-lr)"


def _update(*lines: str) -> str:
    """An update() body: the group's hyperparameters and the state, then ``lines``."""
    head = [
        'lr, beta1, beta2, eps = group["lr"], group["beta1"], group["beta2"], group["eps"]',
        't, m, v = state["t"], state["m"], state["v"]',
    ]
    return "\n".join([*head, *lines])


WRONG = [
    Wrong(
        "no bias correction",
        _update(*MOMENTS, "p.addcdiv_(m, v.sqrt() + eps, value=-lr)"),
        caught_by=ALL,
        mistake="Adam without bias correction",
    ),
    Wrong(
        "bias correction on m only",
        _update(
            *MOMENTS, "m_hat = m / (1 - beta1**t)", "p.addcdiv_(m_hat, v.sqrt() + eps, value=-lr)"
        ),
        caught_by=ALL,
        mistake="bias correction on m only",
    ),
    Wrong(
        "bias correction with t + 1 (as if t counted from 0)",
        _update(
            *MOMENTS,
            "m_hat = m / (1 - beta1 ** (t + 1))",
            "v_hat = v / (1 - beta2 ** (t + 1))",
            STEP,
        ),
        caught_by=ALL,
        mistake="bias correction with t counted from 0 (1 - beta**(t+1))",
    ),
    Wrong(
        "the step counter increased again inside update()",
        "\n".join(['state["t"] += 1', _update(*MOMENTS, *HATS, STEP)]),
        caught_by=ALL,
        mistake="the step counter increased a second time",
    ),
    Wrong(
        "eps inside the square root",
        _update(*MOMENTS, *HATS, "p.addcdiv_(m_hat, (v_hat + eps).sqrt(), value=-lr)"),
        caught_by=ALL,
        mistake="eps inside the square root (sqrt(v_hat + eps))",
    ),
    Wrong(
        "beta1 and beta2 swapped",
        _update(
            "m.mul_(beta2).add_(grad, alpha=1 - beta2)",
            "v.mul_(beta1).addcmul_(grad, grad, value=1 - beta1)",
            "m_hat = m / (1 - beta2**t)",
            "v_hat = v / (1 - beta1**t)",
            STEP,
        ),
        caught_by=ALL,
        mistake="beta1 and beta2 swapped",
    ),
    Wrong(
        "bias correction in place on the stored m",
        _update(*MOMENTS, "m_hat = m.div_(1 - beta1**t)", HATS[1], STEP),
        caught_by=ALL,
        mistake="m overwritten by m_hat (an in-place m.div_(1 - beta1**t) on the state)",
    ),
    Wrong(
        "the denominator built in place on v",
        _update(
            *MOMENTS,
            HATS[0],
            "p.addcdiv_(m_hat, v.div_(1 - beta2**t).sqrt_().add_(eps), value=-lr)",
        ),
        caught_by=ALL,
        mistake="the denominator built in place on v (v.sqrt_().add_(eps) changes the state)",
    ),
    Wrong(
        "m = ... and v = ... rebind the names: the state stays zero",
        _update(
            "m = beta1 * m + (1 - beta1) * grad",
            "v = beta2 * v + (1 - beta2) * grad * grad",
            *HATS,
            STEP,
        ),
        caught_by=ALL,
        mistake="the state is not carried from one step to the next",
    ),
    Wrong(
        "p = p - ... rebinds the name instead of updating the parameter",
        _update(*MOMENTS, *HATS, "p = p - lr * m_hat / (v_hat.sqrt() + eps)"),
        caught_by=ALL,
    ),
]

RIGHT = [
    Right(
        "PyTorch's algebra: the corrections folded into the step size and the denominator",
        """
        beta1, beta2, t = group["beta1"], group["beta2"], state["t"]
        exp_avg, exp_avg_sq = state["m"], state["v"]
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        denom = (exp_avg_sq.sqrt() / bias_correction2**0.5).add_(group["eps"])
        p.addcdiv_(exp_avg, denom, value=-group["lr"] / bias_correction1)
        """,
    ),
    Right(
        "torch._foreach ops and new moment tensors stored in the state",
        """
        beta1, beta2, t = group["beta1"], group["beta2"], state["t"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad * grad
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        torch._foreach_add_([p], [m_hat / (torch.sqrt(v_hat) + group["eps"])], alpha=-group["lr"])
        """,
    ),
]
