r"""The grading machinery shared by every exercise checker: call the student's code, compare, answer in a sentence.

A checker never raises and never shows a torch stack trace: it returns a ``Result`` whose text is one or
two sentences, "✓ ..." (what was verified), "✗ ..." (what is wrong, with a hint) or "Not solved yet: ...".
Inside a checker, grading stops at the first problem by raising ``_Stop`` (``fail`` and ``call`` do it);
the ``exercise`` decorator turns that into the ``Result``.
"""

from __future__ import annotations

import ast
import functools
import inspect
import os
import textwrap
import traceback

import torch

__all__ = [
    "Result", "exercise", "call", "fail", "passed", "output", "pair", "compare", "generator", "max_error",
    "NOT_SOLVED", "RAISED", "NO_RETURN", "NOT_A_TENSOR", "SHAPE", "SHAPE_B1", "DTYPE", "NOT_FINITE", "WRONG",
    "LOG_DET_SIGN", "DIRECTION", "KEPT_CHANGED", "SEES_ITSELF", "BASE_FORGOTTEN", "EXP_ALPHA", "NO_WEIGHTS",
]

# The mistakes a checker can name (``Result.mistake``). The first group every checker may answer; a checker
# lists the named ones it recognises in ``@exercise(...)``, and the tests give each of those a wrong answer.
NOT_SOLVED = "not solved"          # the body is still `...` or raises NotImplementedError
RAISED = "raised"                  # the student's code raised an exception
NO_RETURN = "no return"            # returned None (a forgotten `return`)
NOT_A_TENSOR = "not a tensor"      # returned something else than the tensor(s) asked for
SHAPE = "shape"                    # a wrong shape (other than (B, 1) for (B,))
DTYPE = "dtype"                    # float32 out of float64 in (a constant tensor made without `like`)
NOT_FINITE = "not finite"          # NaN or inf
WRONG = "wrong"                    # wrong values, not one of the named mistakes
# The named, typical mistakes (issue 14).
LOG_DET_SIGN = "log-det sign flipped"
DIRECTION = "direction swapped"     # x ↦ z written where z ↦ x was asked, or the other way round
KEPT_CHANGED = "kept half changed"
SEES_ITSELF = "x_i sees itself"      # an autoregressive mask with the diagonal
BASE_FORGOTTEN = "base density forgotten"
EXP_ALPHA = "exp(alpha) for alpha"   # exp(α) used where α belongs (a log-det of Σ exp α)
SHAPE_B1 = "(B, 1) for (B,)"
NO_WEIGHTS = "ignores the weights"   # the result does not depend on the network it was given


class Result:
    """What a checker returns: ``passed`` (bool), ``message`` (the sentence, also its repr) and ``mistake``
    (one of the constants above, or None when passed). Displayed in a notebook as the sentence only."""

    __slots__ = ("passed", "message", "mistake")

    def __init__(self, passed: bool, message: str, mistake: str | None = None):
        self.passed, self.message, self.mistake = passed, message, mistake

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


class _Stop(Exception):
    """Raised inside a checker to end the grading with ``result``."""

    def __init__(self, result: Result):
        super().__init__(result.message)
        self.result = result


def fail(mistake: str, message: str, hint: str | None = None):
    """End the grading: "✗ message Hint: hint"."""
    text = f"✗ {message}" + (f" Hint: {hint}" if hint else "")
    raise _Stop(Result(False, text, mistake))


def passed(message: str) -> Result:
    """The result of a checker whose every test passed: "✓ message"."""
    return Result(True, f"✓ {message}")


def generator(seed: int = 0) -> torch.Generator:
    """A seeded generator: every checker draws the same inputs each run, so its sentence is repeatable."""
    return torch.Generator().manual_seed(seed)


# --- the student's code ---------------------------------------------------------------------------------

def _is_blank(fn) -> bool:
    """True if ``fn``'s body is only a docstring, ``...``, ``pass`` or ``raise NotImplementedError``."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        node = ast.parse(source).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return False
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False

    def blank(stmt) -> bool:
        if isinstance(stmt, ast.Pass):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            return stmt.value.value is Ellipsis or isinstance(stmt.value.value, str)
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
        return False

    return all(blank(stmt) for stmt in node.body)


def _name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _student_frame(exc: BaseException, fn):
    """The deepest frame of ``exc``'s traceback in the student's code: the file (a notebook cell) where
    ``fn`` was defined, else anything outside flowlib, torch and the standard library."""
    frames = traceback.extract_tb(exc.__traceback__)
    code = getattr(fn, "__code__", None)
    home = code.co_filename if code is not None else None
    mine = [f for f in frames if f.filename == home]
    if not mine:
        library = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(torch.__file__), os.path.dirname(os.__file__))
        mine = [f for f in frames if not f.filename.startswith(library)]
    return mine[-1] if mine else None


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip().splitlines()
    text = text[0] if text else ""
    return text if len(text) <= limit else text[:limit] + "…"


def call(fn, *args, signature: str | None = None, hint: str | None = None):
    """Call the student's ``fn(*args)`` and return what it returns.

    Ends the grading with "Not solved yet" (a blank body, or NotImplementedError), with the exception and
    the line of the student's function where it happened (never a stack trace), or with "returns None".
    ``signature`` (e.g. "forward(z, m, d)") says how the checker calls it, for the messages.
    """
    name = _name(fn)
    signature = signature or f"{name}(...)"
    if not callable(fn):
        fail(NOT_A_TENSOR, f"expected a function {signature}, got {type(fn).__name__}.")
    if _is_blank(fn):
        message = f"Not solved yet: {name} is still blank. " + (hint or "Write its body, then run this cell again.")
        raise _Stop(Result(False, message, NOT_SOLVED))
    try:
        value = fn(*args)
    except NotImplementedError:
        message = f"Not solved yet: {name} raises NotImplementedError. " + (hint or "Write its body, then run this cell again.")
        raise _Stop(Result(False, message, NOT_SOLVED)) from None
    except Exception as exc:  # noqa: BLE001 -- any error in the student's code becomes a sentence
        frame = _student_frame(exc, fn)
        if frame is None:
            where = f"when called as {signature}"
        else:
            first = getattr(getattr(fn, "__code__", None), "co_firstlineno", None)
            line = (frame.line or "").strip()
            line = line if len(line) <= 80 else line[:77] + "..."
            if frame.name == name and first is not None:
                where = f"on line {frame.lineno - first + 1} of {name}"
            else:
                where = f"in {frame.name}, line {frame.lineno}"
            where += f" (`{line}`)" if line else ""
        fail(RAISED, f"{name} raised {type(exc).__name__} {where}: {_first_line(exc)}", hint)
    if value is None:
        fail(NO_RETURN, f"{name} returned None.", "is a `return` missing at its end?")
    return value


# --- what it returned -----------------------------------------------------------------------------------

def output(value, name: str, shape: tuple, like: torch.Tensor | None = None, hint: str | None = None) -> torch.Tensor:
    """Check that ``value`` is a finite tensor of ``shape`` (and ``like``'s dtype); return it.

    A ``(B, 1)`` (or a broadcastable scalar) where ``(B,)`` is expected is the mistake ``SHAPE_B1``.
    """
    if not isinstance(value, torch.Tensor):
        fail(NOT_A_TENSOR, f"{name} should be a tensor of shape {_shape(shape)}, got {type(value).__name__}.", hint)
    if tuple(value.shape) != tuple(shape):
        if len(shape) == 1 and tuple(value.shape) in ((shape[0], 1), (1, shape[0])):
            fail(SHAPE_B1, f"{name} has shape {_shape(value.shape)}, expected {_shape(shape)}: one number per sample.",
                 "sum over the last dimension with .sum(-1), or drop the extra one with .squeeze(-1).")
        if len(shape) == 1 and value.dim() == 0:
            fail(SHAPE_B1, f"{name} is a single number, expected shape {_shape(shape)}: one number per sample.",
                 "did you sum over the batch too? Sum over the last dimension only, .sum(-1).")
        fail(SHAPE, f"{name} has shape {_shape(value.shape)}, expected {_shape(shape)}.", hint)
    if like is not None and value.dtype != like.dtype:
        fail(DTYPE, f"{name} is {value.dtype}, but the input was {like.dtype}.",
             "make new tensors like the input (x.new_zeros(...), torch.zeros_like(x)) instead of torch.zeros(...).")
    if not bool(torch.isfinite(value).all()):
        fail(NOT_FINITE, f"{name} holds NaN or inf.", hint or "a log of a negative number, or exp of a huge one?")
    return value


def pair(value, name: str, what: str = "(x, log_det)"):
    """Check that ``value`` is a pair (a tuple of two items); return it."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        got = f"a {type(value).__name__}" + (f" of {len(value)} items" if isinstance(value, (tuple, list)) else "")
        fail(NOT_A_TENSOR, f"{name} should return a pair {what}, got {got}.", f"end it with `return {what.strip('()')}`.")
    return value


def max_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.detach() - b.detach()).abs().max()) if a.numel() else 0.0


def compare(got: torch.Tensor, want: torch.Tensor, name: str, mistakes=(), hint: str | None = None,
            atol: float = 1e-8) -> None:
    """Pass if ``got`` equals ``want`` within ``atol``; otherwise name the mistake.

    ``mistakes``: tuples ``(mistake, what a solution with that mistake returns, message, hint)``; the first
    whose tensor ``got`` equals is the answer, else a generic ``WRONG`` with the largest error and ``hint``.
    """
    if max_error(got, want) <= atol:
        return
    for mistake, tensor, message, mistake_hint in mistakes:
        if tensor is not None and tuple(tensor.shape) == tuple(got.shape) and max_error(got, tensor) <= atol:
            fail(mistake, message, mistake_hint)
    fail(WRONG, f"{name} is off by up to {max_error(got, want):.2g}.", hint)


def _shape(shape) -> str:
    shape = tuple(shape)
    return f"({shape[0]},)" if len(shape) == 1 else str(shape)


# --- the decorator --------------------------------------------------------------------------------------

def exercise(*mistakes: str):
    """Make a checker: ``@exercise(LOG_DET_SIGN, DIRECTION, ...)`` above ``def name(student_fns...)``.

    The checker's body calls the student's functions through ``call``, checks with ``output``/``compare``
    /``fail``, and returns ``passed("...")``. The decorator returns a ``Result`` whatever happens: a
    ``_Stop`` becomes its result, and an unexpected error in the checker itself a ✗ sentence. The named
    mistakes the checker recognises are kept in ``checker.mistakes`` (the tests give each a wrong answer).
    """
    def decorate(checker):
        @functools.wraps(checker)
        def wrapper(*args, **kwargs) -> Result:
            try:
                with torch.random.fork_rng(devices=[]):  # leave the notebook's random state as it was
                    torch.manual_seed(0)
                    return checker(*args, **kwargs)
            except _Stop as stop:
                return stop.result
            except Exception as exc:  # noqa: BLE001 -- what the student returned broke a comparison
                return Result(False, f"✗ your answer could not be checked: {type(exc).__name__}: {_first_line(exc)}", WRONG)
        wrapper.mistakes = tuple(mistakes)
        return wrapper
    return decorate
