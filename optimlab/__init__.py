"""optimlab: the student-side helpers of the optimizer course (plots, landscapes, data, checks).

It contains no implementation of anything a student is graded on, so it can be installed on a
shared hub without handing out answers.
"""

__version__ = "0.1.0"
