"""momentum_step (03_momentum): v = beta*v + g; params - lr*v."""

from .corpus import Right, Wrong

EXERCISE = "momentum_step"

WRONG = [
    Wrong(
        "the EMA form with (1 - beta)",
        """
        new_velocity = beta * velocity + (1 - beta) * grad
        return params - lr * new_velocity, new_velocity
        """,
        caught_by=("values", "trajectory"),
        mistake="the EMA form of momentum, v = beta*v + (1-beta)*g",
    ),
    Wrong(
        "momentum with beta and lr confused",
        """
        new_velocity = lr * velocity + grad
        return params - beta * new_velocity, new_velocity
        """,
        caught_by=("values", "trajectory"),
        mistake="beta and lr swapped (v = lr*v + g, p = p - beta*v)",
    ),
    Wrong(
        "steps with the old velocity",
        """
        new_params = params - lr * velocity
        return new_params, beta * velocity + grad
        """,
        caught_by=("values", "trajectory"),
        mistake="the step taken with the old velocity",
    ),
    Wrong(
        "no momentum at all",
        "return params - lr * grad, grad.copy()",
        caught_by=("values", "trajectory"),
        mistake="no momentum at all (the velocity is just the gradient)",
    ),
    Wrong(
        "steps uphill",
        """
        new_velocity = beta * velocity + grad
        return params + lr * new_velocity, new_velocity
        """,
        caught_by=("values", "trajectory"),
        mistake="the step taken uphill (params + lr * v)",
    ),
    Wrong(
        "a Nesterov look-ahead",
        """
        new_velocity = beta * velocity + grad
        return params - lr * (grad + beta * new_velocity), new_velocity
        """,
        caught_by=("values", "trajectory"),
        mistake="a Nesterov look-ahead step (p - lr*(g + beta*v_new))",
    ),
    Wrong(
        "updates the caller's velocity in place",
        """
        velocity *= beta
        velocity += grad
        return params - lr * velocity, velocity
        """,
        caught_by=("inputs_unchanged",),
    ),
    Wrong(
        "velocity scaled by lr (another convention, not the course's)",
        """
        new_velocity = beta * velocity + lr * grad
        return params - new_velocity, new_velocity
        """,
        caught_by=("values", "trajectory"),
    ),
]

RIGHT = [
    Right(
        "PyTorch-style buffer updated in place on a copy",
        """
        buf = velocity.copy()
        buf *= beta
        buf += grad
        new_params = params.copy()
        new_params -= lr * buf
        return new_params, buf
        """,
    ),
    Right(
        "an element loop",
        """
        new_params, new_velocity = np.empty_like(params), np.empty_like(params)
        for i in np.ndindex(params.shape):
            new_velocity[i] = beta * velocity[i] + grad[i]
            new_params[i] = params[i] - lr * new_velocity[i]
        return new_params, new_velocity
        """,
    ),
    Right(
        "constants cast to the parameters' dtype",
        """
        f = params.dtype.type
        new_velocity = np.add(f(beta) * velocity, grad)
        return np.subtract(params, f(lr) * new_velocity), new_velocity
        """,
    ),
]
