"""run_optimizer (08_landscape_showdown): a torch optimizer's path on a 2-D landscape."""

from .corpus import Right, Wrong

EXERCISE = "run_optimizer"


def _run(
    params: str = "torch.tensor(start, dtype=torch.float64, requires_grad=True)",
    first: str = "points = [params.detach().numpy().copy()]",
    steps: str = "num_steps",
    grad: str = "params.grad = torch.tensor(np.asarray(grad, dtype=np.float64))",
    record: str = "points.append(params.detach().numpy().copy())",
) -> str:
    """The solution with one of its lines replaced."""
    return "\n".join(
        [
            f"params = {params}",
            "optimizer = make_optimizer([params])",
            first,
            f"for _ in range({steps}):",
            "    grad = landscape.grad(params.detach().numpy())",
            f"    {grad}",
            "    optimizer.step()",
            f"    {record}",
            "return np.array(points)",
        ]
    )


WRONG = [
    Wrong(
        "the start left out",
        _run(first="points = []"),
        caught_by=("sgd", "keeps_state", "edge_cases", "inputs_unchanged"),
        mistake="the start left out of the trajectory",
    ),
    Wrong(
        "one step too many",
        _run(steps="num_steps + 1"),
        caught_by=("sgd", "keeps_state", "edge_cases", "inputs_unchanged"),
        mistake="one step too many",
    ),
    Wrong(
        "a new optimizer on every step",
        """
        params = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        points = [params.detach().numpy().copy()]
        for _ in range(num_steps):
            optimizer = make_optimizer([params])
            grad = landscape.grad(params.detach().numpy())
            params.grad = torch.tensor(np.asarray(grad, dtype=np.float64))
            optimizer.step()
            points.append(params.detach().numpy().copy())
        return np.array(points)
        """,
        caught_by=("keeps_state", "edge_cases", "inputs_unchanged"),
        mistake="a new optimizer made on every step",
    ),
    Wrong(
        "the gradient computed once, at the start",
        """
        params = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        optimizer = make_optimizer([params])
        grad = torch.tensor(np.asarray(landscape.grad(params.detach().numpy()), dtype=float))
        points = [params.detach().numpy().copy()]
        for _ in range(num_steps):
            params.grad = grad.clone()
            optimizer.step()
            points.append(params.detach().numpy().copy())
        return np.array(points)
        """,
        caught_by=("sgd", "keeps_state", "edge_cases", "inputs_unchanged"),
        mistake="the gradient taken at the starting point on every step",
    ),
    Wrong(
        "the gradient negated before the step",
        _run(grad="params.grad = -torch.tensor(np.asarray(grad, dtype=np.float64))"),
        caught_by=("sgd", "keeps_state", "edge_cases", "inputs_unchanged"),
        mistake="gradient ascent (the gradient's sign flipped)",
    ),
    Wrong(
        "gradients added to .grad as backward() would",
        _run(
            grad="params.grad = torch.tensor(np.asarray(grad, dtype=np.float64)) + ("
            "params.grad if params.grad is not None else 0)"
        ),
        caught_by=("sgd", "keeps_state", "edge_cases", "inputs_unchanged"),
        mistake="gradients added up over the steps instead of replaced",
    ),
    Wrong(
        "float32 parameters",
        _run(
            params="torch.tensor(start, dtype=torch.float32, requires_grad=True)",
            grad="params.grad = torch.tensor(np.asarray(grad, dtype=np.float32))",
        ),
        caught_by=("sgd", "keeps_state", "edge_cases", "inputs_unchanged"),
        mistake="the parameters kept in float32",
    ),
    Wrong(
        "rows that are views of the parameter tensor",
        _run(
            first="points = [params.detach().numpy()]",
            record="points.append(params.detach().numpy())",
        ),
        caught_by=("sgd", "keeps_state", "edge_cases", "inputs_unchanged"),
        mistake="the rows share memory with the parameter tensor",
    ),
    Wrong(
        "torch.from_numpy(start): the caller's start moves",
        _run(params="torch.from_numpy(np.asarray(start, dtype=np.float64)).requires_grad_()"),
        caught_by=("sgd", "keeps_state", "edge_cases", "inputs_unchanged"),
    ),
    Wrong(
        "no dtype: int starts fail, float32 starts stay float32",
        _run(params="torch.tensor(start, requires_grad=True)"),
        caught_by=("edge_cases", "inputs_unchanged"),
    ),
    Wrong(
        "returns a torch tensor",
        """
        params = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        optimizer = make_optimizer([params])
        points = [params.detach().clone()]
        for _ in range(num_steps):
            params.grad = torch.as_tensor(landscape.grad(params.detach().numpy()))
            optimizer.step()
            points.append(params.detach().clone())
        return torch.stack(points)
        """,
        caught_by=("sgd", "keeps_state", "edge_cases", "inputs_unchanged"),
    ),
]

RIGHT = [
    Right(
        "a preallocated array, zero_grad and torch.from_numpy(...).clone()",
        """
        params = torch.nn.Parameter(torch.tensor(np.array(start, dtype=float)))
        optimizer = make_optimizer([params])
        path = np.empty((num_steps + 1, 2))
        path[0] = params.detach().numpy()
        for k in range(num_steps):
            optimizer.zero_grad()
            gradient = np.array(landscape.grad(path[k]), dtype=np.float64)
            params.grad = torch.from_numpy(gradient).clone()
            optimizer.step()
            path[k + 1] = params.detach().numpy()
        return path
        """,
    ),
    Right(
        "points as Python lists, gradient copied into .grad",
        """
        x = torch.tensor(np.asarray(start, dtype=np.float64)).requires_grad_(True)
        opt = make_optimizer([x])
        x.grad = torch.zeros_like(x)
        points = [x.tolist()]
        for step in range(num_steps):
            with torch.no_grad():
                x.grad.copy_(torch.as_tensor(landscape.grad(x.detach().numpy().copy())))
            opt.step()
            points.append(x.tolist())
        return np.array(points, dtype=np.float64)
        """,
    ),
]
