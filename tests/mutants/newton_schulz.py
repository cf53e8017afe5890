"""newton_schulz (12_beyond_the_source): Muon's orthogonalization of a matrix."""

from .corpus import Right, Wrong

EXERCISE = "newton_schulz"

_LOOP = """
for _ in range(steps):
    gram = x @ x.T
    x = a * x + (b * gram + c * gram @ gram) @ x
"""


def _body(
    normalize: str = "x = x / max(np.linalg.norm(x), eps)", back: str = "x.T", loop: str = _LOOP
) -> str:
    return (
        """
if update.ndim != 2:
    raise ValueError("needs a matrix")
a, b, c = coefficients
tall = update.shape[0] > update.shape[1]
x = update.T if tall else update
"""
        + normalize
        + "\n"
        + loop
        + f"return {back} if tall else x\n"
    )


WRONG = [
    Wrong(
        "no normalization before the iteration",
        _body(normalize=""),
        caught_by=("values", "tall", "trajectory"),
        mistake="no normalization before the iteration",
    ),
    Wrong(
        "normalized by the spectral norm",
        _body(normalize="x = x / max(np.linalg.norm(x, 2), eps)"),
        caught_by=("values", "tall", "trajectory"),
        mistake="normalized by the largest singular value instead of the norm Muon uses",
    ),
    Wrong(
        "tall result left transposed",
        _body(back="x"),
        caught_by=("tall", "trajectory"),
        mistake="a tall matrix returned transposed",
    ),
    Wrong(
        "coefficients on the wrong powers",
        _body(
            loop="""
for _ in range(steps):
    gram = x @ x.T
    x = c * x + (b * gram + a * gram @ gram) @ x
"""
        ),
        caught_by=("values", "tall", "trajectory"),
        mistake="the coefficients applied to the wrong powers",
    ),
    Wrong(
        "the classic cubic iteration",
        _body(
            loop="""
for _ in range(steps):
    x = 1.5 * x - 0.5 * x @ x.T @ x
"""
        ),
        caught_by=("values", "tall", "trajectory"),
        mistake="the classic cubic iteration instead of Muon's quintic one",
    ),
    Wrong(
        "one iteration too many",
        _body(
            loop="""
for _ in range(steps + 1):
    gram = x @ x.T
    x = a * x + (b * gram + c * gram @ gram) @ x
"""
        ),
        caught_by=("values", "tall", "trajectory"),
        mistake="one iteration too many",
    ),
    Wrong(
        "a bias orthogonalized as a 1 x n matrix",
        """
x = np.atleast_2d(update)
a, b, c = coefficients
tall = x.shape[0] > x.shape[1]
x = x.T if tall else x
x = x / max(np.linalg.norm(x), eps)
"""
        + _LOOP
        + """
x = x.T if tall else x
return x.reshape(update.shape)
""",
        caught_by=("contract",),
    ),
    Wrong(
        "no eps: a zero matrix becomes NaN",
        _body(normalize="x = x / np.linalg.norm(x)"),
        caught_by=("contract",),
    ),
]

RIGHT = [
    Right(
        "always the wide orientation, with an explicit quintic in A",
        """
if np.ndim(update) != 2:
    raise ValueError(f"expected a 2-D update, got {np.ndim(update)}-D")
a, b, c = coefficients
flip = update.shape[1] < update.shape[0]
x = np.transpose(update) if flip else update
x = x / np.maximum(np.sqrt(np.sum(x * x)), eps)
for _ in range(steps):
    A = x @ x.T
    x = a * x + b * (A @ x) + c * (A @ (A @ x))
return np.transpose(x) if flip else x
""",
    ),
    Right(
        "the big Gram matrix for tall inputs (same values, more work)",
        """
if update.ndim != 2:
    raise ValueError("Muon only orthogonalizes matrices")
a, b, c = coefficients
x = update / max(np.linalg.norm(update), eps)
for _ in range(steps):
    gram = x @ x.T
    x = a * x + b * gram @ x + c * gram @ gram @ x
return x
""",
    ),
]
