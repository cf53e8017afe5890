"""nesterov_step (03_momentum): v = beta*v + g; params - lr*(g + beta*v)."""

from .corpus import Right, Wrong

EXERCISE = "nesterov_step"

WRONG = [
    Wrong(
        "heavy-ball momentum (steps along the new velocity)",
        """
        new_velocity = beta * velocity + grad
        return params - lr * new_velocity, new_velocity
        """,
        caught_by=("values", "trajectory"),
        mistake="plain (heavy-ball) momentum, p - lr*v_new = p - lr*(g + beta*v_old)",
    ),
    Wrong(
        "looks ahead with the old velocity",
        """
        new_params = params - lr * (grad + beta * velocity)
        return new_params, beta * velocity + grad
        """,
        caught_by=("values", "trajectory"),
        mistake="plain (heavy-ball) momentum, p - lr*v_new = p - lr*(g + beta*v_old)",
    ),
    Wrong(
        "the EMA velocity",
        """
        new_velocity = beta * velocity + (1 - beta) * grad
        return params - lr * (grad + beta * new_velocity), new_velocity
        """,
        caught_by=("values", "trajectory"),
        mistake="the EMA form of the velocity, v = beta*v + (1-beta)*g",
    ),
    Wrong(
        "lr inside the velocity",
        """
        new_velocity = beta * velocity + lr * grad
        return params - (lr * grad + beta * new_velocity), new_velocity
        """,
        caught_by=("values", "trajectory"),
        mistake="the learning rate inside the velocity (v = beta*v + lr*g)",
    ),
    Wrong(
        "look-ahead without beta",
        """
        new_velocity = beta * velocity + grad
        return params - lr * (grad + new_velocity), new_velocity
        """,
        caught_by=("values", "trajectory"),
        mistake="the look-ahead without beta (p - lr*(g + v_new))",
    ),
    Wrong(
        "returns the step direction as the velocity",
        """
        direction = grad + beta * (beta * velocity + grad)
        return params - lr * direction, direction
        """,
        caught_by=("values", "trajectory"),
        mistake="the look-ahead direction returned as the new velocity",
    ),
    Wrong(
        "updates the caller's velocity in place",
        """
        velocity *= beta
        velocity += grad
        return params - lr * (grad + beta * velocity), velocity
        """,
        caught_by=("inputs_unchanged",),
    ),
    Wrong(
        "float64 constants (float32 comes back as float64)",
        """
        new_velocity = np.float64(beta) * velocity.astype(np.float64) + grad
        return params - lr * (grad + beta * new_velocity), new_velocity
        """,
        caught_by=("shapes_dtypes",),
    ),
]

RIGHT = [
    Right(
        "without the look-ahead: beta**2 times the old velocity and (1 + beta) times g",
        """
        new_params = params - lr * (beta * beta * velocity + (1 + beta) * grad)
        return new_params, beta * velocity + grad
        """,
    ),
    Right(
        "PyTorch-style buffer updated in place on a copy",
        """
        buf = velocity.copy()
        buf *= beta
        buf += grad
        new_params = params.copy()
        new_params -= lr * (grad + beta * buf)
        return new_params, buf
        """,
    ),
    Right(
        "the heavy-ball step plus a correction",
        """
        new_velocity = beta * velocity + grad
        heavy_ball = params - lr * new_velocity
        return heavy_ball - lr * beta * (new_velocity - velocity), new_velocity
        """,
    ),
]
