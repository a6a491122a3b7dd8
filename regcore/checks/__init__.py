"""Self-checks for the book's coding exercises.

Each ``check_*`` function calls the learner's implementation on fresh random
inputs, compares the result with a reference and prints a short verdict: what
was expected, what came back, the first mismatch and a hint naming the usual
mistake (a sign error, a missing factor 2, the wrong axis, a forgotten
``1/(1-p)``, a mutated input).  It returns ``True`` when the implementation is
correct and ``False`` otherwise, so a notebook cell can ``assert`` it.

The references are regcore's own functions, which the test suite checks
against PyTorch; the checks therefore work without torch installed.

Checks live in one submodule per topic (``regcore.checks.penalties``, ...);
every public ``check_*`` function of those submodules is re-exported here, so
``from regcore import checks; checks.check_l1_grad(fn)`` works for all of them.

Every check takes a keyword ``seed``: without it the check runs on the fixed
inputs the book shows; with it (a grader's hidden test,
``checks.check_l1_grad(fn, seed=checks.grader_seed("ch03-l1-grad"))``) it
runs on other inputs of the same kinds drawn from that seed, so that an
answer fitted to the visible inputs fails.  While the learner's function runs,
the reference implementations the check compares against (listed in each
submodule's ``BLOCKED``) raise instead of answering: a function that
delegates to regcore fails with a message saying to implement it yourself.
"""
from __future__ import annotations

import importlib
import pkgutil

from regcore.checks._core import (CheckFailed, DelegationBlocked, compare, grader_seed,
                                  reference_inputs, report)

__all__ = ["CheckFailed", "DelegationBlocked", "compare", "grader_seed", "reference_inputs",
           "report"]

for _info in pkgutil.iter_modules(__path__):
    if _info.name.startswith("_"):
        continue
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in dir(_module):
        if _name.startswith("check_"):
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
__all__.sort()
