"""torch_state_bytes (11_mnist_showdown): bytes of the tensors in optimizer.state."""

from .corpus import Right, Wrong

EXERCISE = "torch_state_bytes"
ASSIGNMENT = "11_mnist_showdown"  # (notebook 07's NumPy exercise is optimizer_state_bytes)


def _sum(term: str, where: str = "isinstance(value, torch.Tensor)") -> str:
    """The solution's double loop with each tensor's contribution or the filter replaced."""
    return f"""
    total = 0
    for state in optimizer.state.values():
        for value in state.values():
            if {where}:
                total += {term}
    return total
    """


WRONG = [
    Wrong(
        "elements, not bytes",
        _sum("value.numel()"),
        caught_by=("momentum", "adam", "mlp"),
        mistake="the number of elements, not bytes",
    ),
    Wrong(
        "bits instead of bytes",
        _sum("value.numel() * value.element_size() * 8"),
        caught_by=("momentum", "adam", "mlp"),
    ),
    Wrong(
        "4 bytes a number",
        _sum("value.numel() * 4"),
        caught_by=("momentum", "adam", "mlp"),
        mistake="4 bytes assumed for every element",
    ),
    Wrong(
        "the parameters counted too",
        """
        total = 0
        for state in optimizer.state.values():
            for value in state.values():
                if isinstance(value, torch.Tensor):
                    total += value.numel() * value.element_size()
        for group in optimizer.param_groups:
            for p in group["params"]:
                total += p.numel() * p.element_size()
        return total
        """,
        caught_by=("momentum", "adam", "mlp"),
        mistake="the parameters counted as well",
    ),
    Wrong(
        "the 'step' counter skipped",
        """
        total = 0
        for state in optimizer.state.values():
            for key, value in state.items():
                if key != "step" and isinstance(value, torch.Tensor):
                    total += value.numel() * value.element_size()
        return total
        """,
        caught_by=("momentum", "adam", "mlp"),
        mistake="0-d tensors (such as Adam's step counter) left out",
    ),
    Wrong(
        "only the first parameter group",
        """
        total = 0
        for p in optimizer.param_groups[0]["params"]:
            for value in optimizer.state[p].values():
                if torch.is_tensor(value):
                    total += value.numel() * value.element_size()
        return total
        """,
        caught_by=("mlp",),
        mistake="only the parameters of the first group counted",
    ),
    Wrong(
        "bits from torch.finfo, divided by 8",
        _sum("value.numel() * torch.finfo(value.dtype).bits / 8"),
        caught_by=("momentum", "adam", "mlp"),
    ),
]

RIGHT = [
    Right(
        "Tensor.nbytes in one sum",
        """
        return sum(
            v.nbytes for s in optimizer.state.values() for v in s.values() if torch.is_tensor(v)
        )
        """,
    ),
    Right(
        "the state_dict, nelement and itemsize",
        """
        total = 0
        for per_param in optimizer.state_dict()["state"].values():
            for key in per_param:
                value = per_param[key]
                if not isinstance(value, torch.Tensor):
                    continue
                total += value.nelement() * value.dtype.itemsize
        return int(total)
        """,
    ),
]
