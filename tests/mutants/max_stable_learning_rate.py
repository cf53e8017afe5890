"""max_stable_learning_rate (01_gradient_descent): 2 / (largest eigenvalue of A)."""

from .corpus import Right, Wrong

EXERCISE = "max_stable_learning_rate"

WRONG = [
    Wrong(
        "1 / lambda_max",
        "return float(1.0 / np.linalg.eigvalsh(A).max())",
        caught_by=("values", "diagonal", "rotated"),
        mistake="1 / (largest eigenvalue)",
    ),
    Wrong(
        "2 / lambda_min",
        "return float(2.0 / np.linalg.eigvalsh(A).min())",
        caught_by=("values", "diagonal", "rotated"),
        mistake="2 / (smallest eigenvalue)",
    ),
    Wrong(
        "2 / largest diagonal entry",
        "return float(2.0 / np.max(np.diag(A)))",
        caught_by=("rotated",),
        mistake="2 / (largest diagonal entry)",
    ),
    Wrong(
        "2 / trace",
        "return float(2.0 / np.trace(A))",
        caught_by=("values", "diagonal", "rotated"),
        mistake="2 / trace(A)",
    ),
    Wrong(
        "the eigenvectors instead of the eigenvalues",
        "return float(2.0 / np.linalg.eigh(A)[1].max())",
        caught_by=("values", "diagonal", "rotated"),
    ),
    Wrong(
        "2 * lambda_max (the fraction upside down)",
        "return float(2.0 * np.linalg.eigvalsh(A).max())",
        caught_by=("values", "diagonal", "rotated"),
    ),
    Wrong(
        "the first eigenvalue np.linalg.eigvals happens to return",
        "return float(2.0 / np.linalg.eigvals(A)[0].real)",
        caught_by=("diagonal", "rotated"),
    ),
]

RIGHT = [
    Right(
        "the spectral norm (A is symmetric positive definite)", "return 2.0 / np.linalg.norm(A, 2)"
    ),
    Right(
        "general eigenvalues, sorted",
        "return float(2 / np.sort(np.linalg.eigvals(np.asarray(A, dtype=float)).real)[-1])",
    ),
    Right(
        "the largest singular value",
        "return float(2.0 / np.linalg.svd(A, compute_uv=False)[0])",
    ),
]
