"""correction_negligible_from (05_adam): the step after the last one at which Adam's uncorrected
step differs from the corrected one by the tolerance or more (constant gradient, eps ignored)."""

from .corpus import Right, Wrong

EXERCISE = "correction_negligible_from"

_RATIOS = """
t = np.arange(1, 200_001)
ratio = (1 - beta1**t) / np.sqrt(1 - beta2**t)
inside = np.abs(ratio - 1) < tolerance
"""

WRONG = [
    Wrong(
        "the first step inside the band",
        _RATIOS + "return int(np.argmax(inside)) + 1",
        caught_by=("every_later_step",),
        mistake="the first step inside the tolerance, though a later step leaves it again",
    ),
    Wrong(
        "the last step outside the band",
        _RATIOS + "return int(np.flatnonzero(~inside)[-1]) + 1 if (~inside).any() else 1",
        caught_by=("values", "every_later_step"),
        mistake="the last step outside the tolerance, one step too early",
    ),
    Wrong(
        "no square root on v's correction",
        """
        t = np.arange(1, 200_001)
        outside = np.abs((1 - beta1**t) / (1 - beta2**t) - 1) >= tolerance
        return int(np.flatnonzero(outside)[-1]) + 2 if outside.any() else 1
        """,
        caught_by=("values", "every_later_step"),
        mistake="the square root of v's correction left out",
    ),
    Wrong(
        "the tail estimate, rounded up and never checked",
        "return int(np.ceil(np.log(2 * tolerance) / np.log(beta2))) if beta2 > 0 else 1",
        caught_by=("values", "every_later_step"),
        mistake="an estimate of the tail (log of the tolerance over log of beta2), not checked",
    ),
    Wrong(
        "a search that stops after 1000 steps",
        """
        last_outside = 0
        for t in range(1, 1001):
            ratio = (1 - beta1**t) / (1 - beta2**t) ** 0.5
            if abs(ratio - 1) >= tolerance:
                last_outside = t
        return last_outside + 1
        """,
        caught_by=("every_later_step",),
    ),
]

RIGHT = [
    Right(
        "backwards from a step where both beta**t are far below the tolerance",
        """
        t = 1
        while max(beta1, beta2) ** t > tolerance / 10:
            t += 1
        while t > 1:
            ratio = (1 - beta1 ** (t - 1)) / (1 - beta2 ** (t - 1)) ** 0.5
            if abs(ratio - 1) >= tolerance:
                break
            t -= 1
        return t
        """,
    ),
    Right(
        "measured with adam_step on a constant gradient, uncorrected via m and v",
        """
        m = v = np.zeros(1)
        params, grad, answer, t = np.zeros(1), np.ones(1), 1, 0
        while t < 10 or max(beta1, beta2) ** t > tolerance / 8:
            t += 1
            step, m, v = adam_step(params, grad, m, v, t, 1.0, beta1, beta2, eps=0.0)
            uncorrected = m / np.sqrt(v)
            if abs(uncorrected[0] / -step[0] - 1) >= tolerance:
                answer = t + 1
        return answer
        """,
    ),
    Right(
        "with bias_correction_factors",
        """
        answer, t = 1, 1
        while t < 10 or max(beta1, beta2) ** t > tolerance / 8:
            factor_m, factor_v = bias_correction_factors(beta1, beta2, t)
            if abs(factor_v**0.5 / factor_m - 1) >= tolerance:
                answer = t + 1
            t += 1
        return answer
        """,
    ),
]
