"""nbgrader configuration of the course written by `make assignments`.

Generated from tools/nbgrader_config_template.py; edit the copy in your course
directory, not the template.  Run every nbgrader command from the directory
that holds this file (the course root): `nbgrader generate_assignment ch04`,
`nbgrader autograde ch04`, `nbgrader export`.
"""
import os

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "regularization-in-mlps"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# The hidden tests of every graded cell draw their inputs from this secret
# (regcore.checks.grader_seed).  It was generated for this course by
# `make assignments`; keep it private and keep it fixed for a term, so that
# regrading gives the same inputs.  The kernels nbgrader starts inherit it.
os.environ.setdefault("REGCORE_GRADER_SEED", "{grader_seed}")
# The book's matrices are small: one BLAS thread is faster and reproducible.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# A chapter executes its experiments too (about 10 s on two cores); allow for
# a loaded grading machine.
c.Execute.timeout = 600
# What a student sees where a solution was.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("Exercise: replace this line with your solution.")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
