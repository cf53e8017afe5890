"""grading: the instructor's grading infrastructure, which never runs inside a notebook kernel.

``course`` (the assignments as data, a throwaway nbgrader course), ``preprocessors`` (the steps
nbgrader_config.py adds to autograde and feedback), ``batch`` (grade a class, one sandboxed
process per student) and ``selfgrade`` (a student grades their own notebook). What runs in a
kernel or grades an exercise (references, the checking kit, hidden checks, the integrity guard)
stays in ``autograder``.
"""
