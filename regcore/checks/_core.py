"""The machinery behind every self-check: call, compare, diagnose, report."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np


_DEFAULT_HINT = "compare your formula with the derivation in the chapter."


class CheckFailed(Exception):
    """Raised inside a check to stop at the first problem; caught by :func:`run`."""


def report(name: str, ok: bool, message: str) -> bool:
    """Print a one-paragraph verdict and return ``ok``."""
    mark = "PASSED" if ok else "FAILED"
    print(f"[{mark}] {name}: {message}")
    return ok


def _first_mismatch(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str:
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if got.ndim else ()
    where = f" at index {index}" if index else ""
    return f"first mismatch{where}: expected {expected[index]:.6g}, got {got[index]:.6g}"


def diagnose(got: np.ndarray, expected: np.ndarray, hints: dict[str, str]) -> str:
    """Name the usual mistake when ``got`` is ``expected`` up to a simple change.

    ``hints`` maps a situation to a sentence; recognised keys are ``"sign"``
    (got = -expected), ``"factor:<c>"`` (got = c * expected for that ``c``),
    ``"transpose"`` (got = expected.T) and ``"default"``.
    """
    nonzero = np.abs(expected) > 1e-12
    if got.shape == expected.shape and nonzero.any():
        ratio = got[nonzero] / expected[nonzero]
        if np.allclose(ratio, ratio.flat[0], rtol=1e-6) and np.allclose(got[~nonzero], 0, atol=1e-9):
            c = float(ratio.flat[0])
            if np.isclose(c, -1.0):
                return hints.get("sign", "the result has the wrong sign everywhere.")
            for key, text in hints.items():
                if key.startswith("factor:") and np.isclose(c, float(key.split(":")[1]), rtol=1e-6):
                    return text
            return f"the result is off by a constant factor {c:.4g}."
    if got.ndim == 2 and got.shape == expected.T.shape and np.allclose(got, expected.T):
        return hints.get("transpose", "the result is the transpose of what was expected.")
    return hints.get("default", _DEFAULT_HINT)


def call(fn: Callable[..., Any], args: Sequence[Any], what: str, *,
         names: Sequence[str] | None = None,
         inplace_hint: str = "e.g. `x = x.copy()` or write `x * c` instead of `x *= c`") -> np.ndarray:
    """Call the learner's ``fn(*args)`` and return its result as a float array.

    Raises :class:`CheckFailed` naming the problem when the call raises, modifies
    an input array in place, returns ``None`` or returns something that is not
    numbers.  ``NotImplementedError`` propagates (the student edition's stubs
    raise it on purpose).  Overflow warnings are silenced: the comparison that
    follows diagnoses a wrong value, which is more useful than a warning.
    """
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    try:
        with np.errstate(all="ignore"):
            got = fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # the learner's bug: show it briefly, not a traceback
        raise CheckFailed(f"calling your function raised {type(exc).__name__}: {exc}") from None
    labels = names or [f"number {i + 1}" for i in range(len(args))]
    for label, a, b in zip(labels, args, before):
        if isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
            raise CheckFailed(f"your function modified its argument {label} in place; "
                              f"work on a copy ({inplace_hint}).")
    if got is None:
        raise CheckFailed(f"your function returned None; did you forget `return`? Expected {what}.")
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} must be numbers; got {type(got).__name__}") from None


def name_mistake(got: np.ndarray, mistakes: Sequence[tuple[str, Any]], *,
                 rtol: float = 1e-7, atol: float = 1e-9) -> str | None:
    """The sentence of the first known mistake whose value ``got`` equals, else ``None``.

    ``mistakes`` pairs a sentence with the value a typical wrong implementation
    returns on the same inputs (``None`` when that mistake is invisible there).
    """
    for sentence, candidate in mistakes:
        if candidate is None:
            continue
        c = np.asarray(candidate, dtype=float)
        if c.shape == got.shape and np.allclose(got, c, rtol=rtol, atol=atol):
            return sentence
    return None


def verify(got: np.ndarray, expected: Any, *, what: str, default: str,
           mistakes: Sequence[tuple[str, Any]] = (), rtol: float = 1e-7, atol: float = 1e-9,
           shape_hint: str | None = None, nonfinite: str | None = None,
           hints: dict[str, str] | None = None) -> None:
    """Raise :class:`CheckFailed` unless ``got`` equals ``expected``, naming the mistake.

    In order: a match with one of ``mistakes`` (its sentence is the hint); a
    non-finite result (hint ``nonfinite``, if given); a wrong shape (hint
    ``shape_hint`` or ``default``); a wrong number; otherwise the first
    mismatch with :func:`diagnose`'s hint (``default`` unless the answer is
    off by a sign or a constant factor; ``hints`` overrides those sentences).
    """
    exp = np.asarray(expected, dtype=float)
    if got.shape == exp.shape and np.allclose(got, exp, rtol=rtol, atol=atol):
        return
    sentence = name_mistake(got, mistakes, rtol=rtol, atol=atol)
    if sentence is not None:
        where = (_first_mismatch(got, exp, rtol, atol) if got.shape == exp.shape
                 else f"shape {got.shape} instead of {exp.shape}")
        raise CheckFailed(f"{what} is wrong; {where}. Hint: {sentence}")
    if nonfinite is not None and got.size and not np.isfinite(got).all():
        raise CheckFailed(f"{what} is not finite (it contains nan or inf). Hint: {nonfinite}")
    if got.shape != exp.shape:
        raise CheckFailed(f"{what} has shape {got.shape}, expected {exp.shape}. "
                          f"Hint: {shape_hint or default}")
    if exp.ndim == 0:
        raise CheckFailed(f"{what} is wrong; expected {float(exp):.6g}, got {float(got):.6g}. "
                          f"Hint: {default}")
    raise CheckFailed(f"{what} is wrong; {_first_mismatch(got, exp, rtol, atol)}. "
                      f"Hint: {diagnose(got, exp, {'default': default, **(hints or {})})}")


def compare(name: str, fn: Callable[..., Any], args: Sequence[Any], expected: Any, *,
            rtol: float = 1e-7, atol: float = 1e-9, hints: dict[str, str] | None = None,
            what: str = "the result") -> None:
    """Call ``fn(*args)`` and compare it with ``expected``; raise :class:`CheckFailed`.

    The inputs are copied before the call so that an implementation that
    modifies its arguments in place is caught and named.  ``NotImplementedError``
    propagates (the student edition's stubs raise it on purpose).
    """
    hints = hints or {}
    got = call(fn, args, what)
    exp = np.asarray(expected, dtype=float)
    transposed = got.ndim == exp.ndim == 2 and got.shape == exp.T.shape
    shape_hint = (diagnose(got, exp, hints) if transposed
                  else hints.get("shape", "check which axis you reduce over."))
    verify(got, exp, what=what, default=hints.get("default", _DEFAULT_HINT), rtol=rtol, atol=atol,
           shape_hint=shape_hint, hints=hints)


def run(name: str, body: Callable[[], str]) -> bool:
    """Run a check body; it returns a success message or raises :class:`CheckFailed`."""
    try:
        message = body()
    except (CheckFailed, DelegationBlocked) as exc:
        return report(name, False, str(exc))
    return report(name, True, message)


# ---------------------------------------------------------------------------
# Delegation blocking: while the learner's function runs inside a check, the
# reference implementations that the check compares against raise instead of
# answering, so that `return regcore.functional.cross_entropy(z, y)[0]` cannot
# pass the check that asks for cross-entropy.


class DelegationBlocked(BaseException):
    """The learner's function called a reference of the running check.

    A ``BaseException`` (not an ``Exception``) so that ``except Exception`` in
    the learner's code, or in a check's own error handling, does not swallow it;
    :func:`run` turns it into a ``[FAILED]`` verdict.
    """


IMPLEMENT_YOURSELF = "implement it yourself"
_attempts: list[list[str]] = []   # one list per active guard (innermost last)


def _qualname(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _delegation_message(name: str) -> str:
    return (f"your function calls {name}, the reference implementation this check compares "
            f"against; the exercise is to {IMPLEMENT_YOURSELF} (with NumPy, from the chapter's "
            "formulas). Delegating to regcore is blocked while a check runs.")


def delegation_error(name: str) -> DelegationBlocked:
    """Record that a blocked reference was called and return the exception to raise.

    The code of every blocked function is swapped for a two-line stub that
    calls this (found through ``__import__``, which works from any module).
    """
    for attempts in _attempts:
        attempts.append(name)
    return DelegationBlocked(_delegation_message(name))


def _stub_code(fn: Callable[..., Any]) -> Any:
    """A code object that raises :class:`DelegationBlocked` naming ``fn``, with ``fn``'s free variables."""
    free = fn.__code__.co_freevars
    name = _qualname(fn)
    body = (f"    raise __import__('regcore.checks._core', fromlist=['_'])"
            f".delegation_error({name!r})\n")
    if free:   # the stub must have as many free variables as fn has closure cells
        src = ("def _outer():\n" + "".join(f"    {v} = None\n" for v in free)
               + "    def _blocked(*args, **kwargs):\n"
               + f"        ({', '.join(free)},)\n" + "    " + body + "    return _blocked\n")
        namespace: dict[str, Any] = {}
        exec(src, namespace)  # noqa: S102 - a fixed template, no user input
        stub = namespace["_outer"]()
    else:
        namespace = {}
        exec("def _blocked(*args, **kwargs):\n" + body, namespace)  # noqa: S102
        stub = namespace["_blocked"]
    code = stub.__code__
    assert code.co_freevars == free or len(code.co_freevars) == len(free), (free, code.co_freevars)
    return code.replace(co_name=fn.__code__.co_name)


def references(*objects: Any) -> tuple[Callable[..., Any], ...]:
    """The plain functions behind ``objects``: functions as they are, classes as the functions they define."""
    out: list[Callable[..., Any]] = []
    for obj in objects:
        if isinstance(obj, type):
            for value in vars(obj).values():
                value = getattr(value, "__func__", value)   # staticmethod / classmethod
                if callable(value) and hasattr(value, "__code__") and not isinstance(value, type):
                    out.append(value)
        elif hasattr(obj, "__code__"):
            out.append(obj)
        else:
            raise TypeError(f"cannot block {obj!r}: not a function or a class")
    return tuple(dict.fromkeys(out))


class _Blocking:
    """Context manager: swap the code of ``functions`` for raising stubs, restore it on exit."""

    def __init__(self, functions: Sequence[Callable[..., Any]]) -> None:
        self.functions = functions
        self.saved: list[tuple[Callable[..., Any], Any]] = []

    def __enter__(self) -> list[str]:
        attempts: list[str] = []
        _attempts.append(attempts)
        try:
            for fn in self.functions:
                if getattr(fn, "__regcore_blocked__", False):
                    continue                                # already blocked by an outer guard
                original = fn.__code__
                fn.__code__ = _stub_code(fn)
                fn.__regcore_blocked__ = True
                self.saved.append((fn, original))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return attempts

    def __exit__(self, *exc: Any) -> None:
        for fn, original in reversed(self.saved):
            fn.__code__ = original
            fn.__regcore_blocked__ = False
        self.saved.clear()
        _attempts.pop()


def guard(fn: Callable[..., Any], blocked: Sequence[Callable[..., Any]]) -> Callable[..., Any]:
    """Wrap the learner's ``fn`` so that, while it runs, every function in ``blocked`` raises.

    If the learner's function called a blocked reference (even when it caught
    the exception and went on), the wrapper raises :class:`DelegationBlocked`
    after the call, which :func:`run` reports as a failure saying to
    implement it yourself.  The references work again as soon as the call returns.
    """
    if not blocked:
        return fn

    def guarded(*args: Any, **kwargs: Any) -> Any:
        with _Blocking(blocked) as attempts:
            try:
                result = fn(*args, **kwargs)
            except BaseException:
                if attempts:
                    raise DelegationBlocked(_delegation_message(attempts[0])) from None
                raise
        if attempts:
            raise DelegationBlocked(_delegation_message(attempts[0]))
        return result

    guarded.__wrapped__ = fn  # type: ignore[attr-defined]
    guarded.__name__ = getattr(fn, "__name__", "guarded")
    return guarded


# ---------------------------------------------------------------------------
# Hidden tests: a grader-side seed


GRADER_SEED_VARIABLE = "REGCORE_GRADER_SEED"


def grader_seed(grade_id: str) -> int:
    """The seed of a hidden test: derived from ``$REGCORE_GRADER_SEED`` and ``grade_id``.

    An instructor sets ``REGCORE_GRADER_SEED`` on the grading machine (the
    course's ``nbgrader_config.py`` from ``make assignments`` does), so the
    hidden inputs are ones no student has seen; without it (reading the book)
    a fixed default is used, which keeps the book's outputs reproducible.
    """
    import hashlib
    import os

    secret = os.environ.get(GRADER_SEED_VARIABLE, "regcore-book")
    digest = hashlib.sha256(f"{secret}:{grade_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


# ---------------------------------------------------------------------------
# Graded cells whose exercise builds on an earlier one use the reference for
# the earlier part, so that one mistake costs one check.

_REFERENCE_SOLUTIONS: dict[str, Callable[..., Any]] = {}


def reference_solution(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a reference solution of the exercise function called ``name`` (a decorator)."""
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _REFERENCE_SOLUTIONS[name] = fn
        return fn
    return register


class reference_inputs:  # noqa: N801 - used like a function in a ``with`` statement
    """``with checks.reference_inputs(globals(), "soft_threshold"): ...`` -- for the block,
    the learner's ``soft_threshold`` is replaced by the reference one, then restored.

    A graded cell that tests ``ista`` (which calls the learner's
    ``soft_threshold``) runs inside such a block, so a wrong ``soft_threshold``
    costs the points of its own check only.
    """

    def __init__(self, namespace: dict[str, Any], *names: str) -> None:
        unknown = [n for n in names if n not in _REFERENCE_SOLUTIONS]
        if unknown:
            raise KeyError(f"no reference solution registered for {unknown}; known: "
                           f"{sorted(_REFERENCE_SOLUTIONS)}")
        self.namespace, self.names = namespace, names
        self.saved: dict[str, Any] = {}

    def __enter__(self) -> None:
        for name in self.names:
            if name in self.namespace:
                self.saved[name] = self.namespace[name]
            self.namespace[name] = _REFERENCE_SOLUTIONS[name]

    def __exit__(self, *exc: Any) -> None:
        for name in self.names:
            if name in self.saved:
                self.namespace[name] = self.saved.pop(name)
            else:
                self.namespace.pop(name, None)
