"""optimizer_state_bytes (07_lion): bytes of per-parameter state kept by each optimizer."""

from .corpus import Right, Wrong

EXERCISE = "optimizer_state_bytes"
ASSIGNMENT = "07_lion"  # (notebook 11 counts torch.optim state in torch_state_bytes)

_COUNT = """
arrays_per_parameter = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2, "lion": 1}
if optimizer not in arrays_per_parameter:
    raise ValueError(optimizer)
numbers = sum(math.prod(shape) for shape in param_shapes)
"""

WRONG = [
    Wrong(
        "the parameters counted as state",
        _COUNT
        + "return (arrays_per_parameter[optimizer] + 1) * numbers * np.dtype(dtype).itemsize",
        caught_by=("arrays", "dtype", "many_tensors"),
        mistake="the parameters themselves counted as optimizer state",
    ),
    Wrong(
        "bits instead of bytes",
        _COUNT + "return arrays_per_parameter[optimizer] * numbers * np.dtype(dtype).itemsize * 8",
        caught_by=("arrays", "dtype", "many_tensors"),
        mistake="bits instead of bytes (8 times too many)",
    ),
    Wrong(
        "Adam with one state array",
        _COUNT
        + "return min(arrays_per_parameter[optimizer], 1) * numbers * np.dtype(dtype).itemsize",
        caught_by=("arrays", "many_tensors"),
        mistake="Adam and AdamW counted with one state array",
    ),
    Wrong(
        "always 4 bytes per number",
        _COUNT + "return arrays_per_parameter[optimizer] * numbers * 4",
        caught_by=("dtype",),
        mistake="the dtype's size ignored (always 4 bytes per number)",
    ),
    Wrong(
        "np.prod makes a float for a scalar shape",
        """
        arrays = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2, "lion": 1}
        if optimizer not in arrays:
            raise ValueError(optimizer)
        numbers = sum(np.prod(shape) for shape in param_shapes)
        return arrays[optimizer] * numbers * np.dtype(dtype).itemsize
        """,
        caught_by=("contract",),
    ),
    Wrong(
        "an unknown optimizer counted as 0 bytes",
        """
        arrays = {"momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2, "lion": 1}
        numbers = sum(math.prod(shape) for shape in param_shapes)
        return arrays.get(optimizer, 0) * numbers * np.dtype(dtype).itemsize
        """,
        caught_by=("contract",),
    ),
]

RIGHT = [
    Right(
        "if/elif and np.zeros to measure the arrays",
        """
        if optimizer == "sgd":
            count = 0
        elif optimizer in ("momentum", "rmsprop", "lion"):
            count = 1
        elif optimizer in ("adam", "adamw"):
            count = 2
        else:
            raise ValueError(f"unknown optimizer {optimizer}")
        return int(sum(count * np.zeros(shape, dtype=dtype).nbytes for shape in param_shapes))
        """,
    ),
    Right(
        "explicit loops over dimensions",
        """
        state = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2, "lion": 1}
        if optimizer not in state:
            raise ValueError(optimizer)
        total = 0
        for shape in param_shapes:
            size = 1
            for n in shape:
                size *= int(n)
            total += size
        return state[optimizer] * total * int(np.dtype(dtype).itemsize)
        """,
    ),
]
