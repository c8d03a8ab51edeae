r"""The grading machinery shared by every exercise checker: call the student's code, compare, answer in a sentence.

A checker never raises and never shows a torch stack trace: it returns a ``Result`` whose text is one or
two sentences, "✓ ..." (what was verified), "✗ ..." (what is wrong, with a hint) or "Not solved yet: ...".
Inside a checker, grading stops at the first problem by raising ``_Stop`` (``fail`` and ``call`` do it);
the ``exercise`` decorator turns that into the ``Result``.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import os
import signal
import sys
import textwrap
import threading
import time
import traceback

import torch

from .. import randomize
from ..autoregressive import MAF
from ..distributions import StandardNormal

__all__ = [
    "Result", "exercise", "call", "fail", "passed", "output", "pair", "compare", "generator", "max_error",
    "NOT_SOLVED", "RAISED", "NO_RETURN", "NOT_A_TENSOR", "SHAPE", "SHAPE_B1", "DTYPE", "NOT_FINITE", "WRONG",
    "LOG_DET_SIGN", "DIRECTION", "KEPT_CHANGED", "SEES_ITSELF", "BASE_FORGOTTEN", "EXP_ALPHA", "NO_WEIGHTS",
    "SEQUENTIAL", "ONE_PASS", "SCALE_SIGN", "check_kept", "check_uses_weights", "Conditioner", "sequential",
    "grade_autoregressive", "log_p_z", "INPUT_CHANGED", "NO_GRADIENT", "GRADIENT", "GLOBAL_STATE", "OUT_OF_TIME",
    "ESCAPED", "compare_gradients", "leaf", "scalar", "time_budget", "untimed", "TIME_BUDGET_S",
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
# Named mistakes of the autoregressive flows (notebooks 05 and 06).
SEQUENTIAL = "D passes where one suffices"
ONE_PASS = "one pass where D are needed"   # the conditioner fed the input itself: the other flow's parallel pass
SCALE_SIGN = "exp(α) where exp(-α)"
# What any checker may answer about how the student's code behaves, not what it computes (issue 24).
INPUT_CHANGED = "input changed in place"     # the student's function wrote into a tensor (or module) it was given
NO_GRADIENT = "no gradient"                 # the result of a function meant for training carries no gradient (or none to θ)
GRADIENT = "wrong gradient"                 # the values are right, the gradient is not: a step autograd cannot follow
GLOBAL_STATE = "global state changed"       # torch.set_grad_enabled(False), set_default_dtype, ... left changed
OUT_OF_TIME = "out of time"                 # the check ran past its time budget (an endless loop?)
ESCAPED = "exit or interrupt"               # sys.exit() (SystemExit) or KeyboardInterrupt raised by the student's code


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
    return getattr(inspect.unwrap(fn), "__name__", None) or getattr(fn, "__name__", type(fn).__name__)


def _student_frame(exc: BaseException, fn):
    """The deepest frame of ``exc``'s traceback in the student's code: the file (a notebook cell) where
    ``fn`` was defined (through any decorator, ``@torch.no_grad()`` included), else anything outside flowlib,
    torch and the standard library."""
    frames = traceback.extract_tb(exc.__traceback__)
    code = getattr(inspect.unwrap(fn), "__code__", None)
    home = code.co_filename if code is not None else None
    mine = [f for f in frames if f.filename == home]
    if not mine:
        mine = [f for f in frames if not f.filename.startswith(_LIBRARY)]
    return mine[-1] if mine else None


_LIBRARY = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(torch.__file__), os.path.dirname(os.__file__),
            os.path.dirname(contextlib.__file__))


def _where(exc: BaseException, fn, signature: str) -> str:
    """"on line 3 of name (`the line`)", or "when called as signature"."""
    name = _name(fn)
    frame = _student_frame(exc, fn)
    if frame is None:
        return f"when called as {signature}"
    first = getattr(getattr(inspect.unwrap(fn), "__code__", None), "co_firstlineno", None)
    line = (frame.line or "").strip()
    line = line if len(line) <= 80 else line[:77] + "..."
    if frame.name == name and first is not None:
        # a decorated function's code object starts at its first decorator line: count from the `def` line
        try:
            source, start = inspect.getsourcelines(inspect.unwrap(fn))
            offset = next(i for i, text in enumerate(source) if text.lstrip().startswith(("def ", "async def ")))
        except (OSError, TypeError, StopIteration):
            offset = 0
        where = f"on line {frame.lineno - first - offset + 1} of {name}"
    else:
        where = f"in {frame.name}, line {frame.lineno}"
    return where + (f" (`{line}`)" if line else "")


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip().splitlines()
    text = text[0] if text else ""
    return text if len(text) <= limit else text[:limit] + "…"


# --- torch's global switches ----------------------------------------------------------------------------

def _global_state() -> dict:
    """The global settings a student's code can flip and leave flipped, by name: (value, how to restore it)."""
    state = {
        "torch.set_grad_enabled": (torch.is_grad_enabled(), torch.set_grad_enabled),
        "torch.set_default_dtype": (torch.get_default_dtype(), torch.set_default_dtype),
        "torch.set_num_threads": (torch.get_num_threads(), torch.set_num_threads),
        "torch.autograd.set_detect_anomaly": (torch.is_anomaly_enabled(), torch.autograd.set_detect_anomaly),
        "torch.use_deterministic_algorithms": (torch.are_deterministic_algorithms_enabled(),
                                               torch.use_deterministic_algorithms),
        "torch.set_float32_matmul_precision": (torch.get_float32_matmul_precision(),
                                               torch.set_float32_matmul_precision),
    }
    if hasattr(torch, "get_default_device"):
        state["torch.set_default_device"] = (torch.get_default_device(), torch.set_default_device)
    return state


def _restore(before: dict) -> list[str]:
    """Put back every global setting that differs from ``before``; return what was changed, as sentences' parts."""
    changed = []
    now = _global_state()
    for name, (value, setter) in before.items():
        if now[name][0] != value:
            changed.append(f"{name}({_setting(now[name][0])}), where it was {_setting(value)}")
            try:
                setter(value)
            except Exception:  # noqa: BLE001 -- restoring must never fail a check
                pass
    return changed


def _setting(value) -> str:
    return str(value) if not isinstance(value, bool) else ("True" if value else "False")


# --- the time budget ------------------------------------------------------------------------------------

TIME_BUDGET_S = float(os.environ.get("FLOWLIB_CHECK_SECONDS", "20"))  # a whole check, the student's calls included


class _OutOfTime(BaseException):
    """Raised when a check's time budget runs out: a BaseException, so that the student's `except Exception` lets it by."""


_budget = threading.local()


@contextlib.contextmanager
def time_budget(seconds: float | None = None):
    """Give the check inside at most ``seconds`` (default ``TIME_BUDGET_S``): past it, ``_OutOfTime`` is raised
    where the code runs. In the main thread of a POSIX Python by SIGALRM (it then repeats every 0.2 s, so that a
    bare `except:` in the student's code cannot swallow it); elsewhere (another thread, Windows) by a trace
    function that checks the clock on each line of code outside flowlib and torch (the student's). A budget
    already running (a nested check) is kept."""
    if getattr(_budget, "deadline", None) is not None:
        yield
        return
    seconds = TIME_BUDGET_S if seconds is None else seconds
    _budget.deadline, _budget.seconds = time.monotonic() + seconds, seconds
    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if use_alarm:
        def alarm(signum, frame):
            if getattr(_budget, "deadline", None) is not None and time.monotonic() >= _budget.deadline - 1e-3:
                raise _OutOfTime()
        started = time.monotonic()
        old_handler = signal.signal(signal.SIGALRM, alarm)
        old_timer = signal.setitimer(signal.ITIMER_REAL, seconds, 0.2)
    else:
        old_trace = sys.gettrace()

        def local(frame, event, arg):
            if time.monotonic() >= _budget.deadline:
                raise _OutOfTime()
            return local

        def trace(frame, event, arg):
            if frame.f_code.co_filename.startswith(_LIBRARY):
                return None
            return local(frame, event, arg)
        sys.settrace(trace)
    try:
        yield
    finally:
        _budget.deadline = None
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
            if old_timer[0] > 0:  # an outer timer (a test's own limit): give it back what is left of it
                signal.setitimer(signal.ITIMER_REAL, max(old_timer[0] - (time.monotonic() - started), 1e-3), old_timer[1])
        else:
            sys.settrace(old_trace)


@contextlib.contextmanager
def untimed():
    """Inside a check, do something the time budget must not count (a one-off import of torch's machinery, such as
    the first optimiser a process makes, which can take seconds on a busy machine)."""
    deadline = getattr(_budget, "deadline", None)
    if deadline is None:
        yield
        return
    remaining = deadline - time.monotonic()
    _budget.deadline = float("inf")
    try:
        yield
    finally:
        _budget.deadline = time.monotonic() + max(remaining, 0.0)


def _out_of_time_message(doing: str, where: str = "") -> str:
    seconds = getattr(_budget, "seconds", TIME_BUDGET_S)
    return (f"{doing} did not finish within the check's time budget of {seconds:g} s: it was stopped{where}. "
            "An endless loop (a `while` whose condition never becomes false)? The published solution takes well "
            "under a second.")


# --- calling the student's code -------------------------------------------------------------------------

def _parameter_names(fn, count: int) -> list[str]:
    try:
        names = [p.name for p in inspect.signature(fn).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    return (names + [f"argument {i + 1}" for i in range(len(names), count)])[:count]


def _copy(arg, pairs: list):
    """What the student's function receives instead of ``arg``: a tensor's clone (a leaf's clone keeps the
    gradient path to the leaf), a list or tuple's shallow copy (of copies); modules and functions as they are.
    Appends (original, what the student got) for every tensor and module to ``pairs``."""
    if isinstance(arg, torch.Tensor):
        pairs.append((arg, arg.clone()))
        return pairs[-1][1]
    if isinstance(arg, torch.nn.Module):
        pairs.append((arg, arg))
        return arg
    if isinstance(arg, list):
        return [_copy(a, pairs) for a in arg]
    if isinstance(arg, tuple):
        return tuple(_copy(a, pairs) for a in arg)
    return arg


def _snapshot(arg):
    """The values a tensor or a module holds, to see afterwards whether the student's code wrote into them."""
    if isinstance(arg, torch.Tensor):
        return arg.detach().clone()
    return {k: v.detach().clone() for k, v in arg.state_dict().items()}


def _changed(before, copy) -> str | None:
    """How ``copy`` (what the student received: a tensor's clone, or the module itself) differs from ``before``."""
    if isinstance(before, torch.Tensor):
        after = copy.detach()
        if after.shape != before.shape or after.dtype != before.dtype:
            return f"now of shape {tuple(after.shape)} and {after.dtype}" if after.shape != before.shape else f"now {after.dtype}"
        differ = ~((after == before) | (after.isnan() & before.isnan()))
        if not bool(differ.any()):
            return None
        if differ.dim() == 2:
            columns = sorted({int(j) for j in differ.nonzero()[:, 1]})
            if len(columns) < differ.shape[1]:
                return f"column{'s' if len(columns) > 1 else ''} {', '.join(str(j) for j in columns)} (counted from 0) changed"
        return f"{int(differ.sum())} of its {differ.numel()} entries changed"
    state = copy.state_dict()
    names = [k for k, v in before.items() if k not in state or not torch.equal(state[k].detach(), v)]
    return f"its {', '.join(names[:3])}{'…' if len(names) > 3 else ''} changed" if names else None


def call(fn, *args, signature: str | None = None, hint: str | None = None, mutable=()):
    """Call the student's ``fn`` on copies of ``args`` and return what it returns.

    Ends the grading with "Not solved yet" (a blank body, or NotImplementedError), with the exception and
    the line of the student's function where it happened (never a stack trace), with "returns None", with
    the input it changed in place (tensors are handed over as clones and compared afterwards; modules, whose
    weights must stay, are compared too, except the arguments whose positions are in ``mutable``), with the
    global torch setting it left changed (restored), or with the time budget run out. SystemExit and
    KeyboardInterrupt raised inside become a sentence too. ``signature`` (e.g. "forward(z, m, d)") says how
    the checker calls it, for the messages.
    """
    name = _name(fn)
    signature = signature or f"{name}(...)"
    if not callable(fn):
        fail(NOT_A_TENSOR, f"expected a function {signature}, got {type(fn).__name__}.")
    if _is_blank(inspect.unwrap(fn)):
        message = f"Not solved yet: {name} is still blank. " + (hint or "Write its body, then run this cell again.")
        raise _Stop(Result(False, message, NOT_SOLVED))
    pairs = [[] for _ in args]  # per argument: (original, what the student got), tensors and modules, found by identity
    copies = [a if i in mutable else _copy(a, pairs[i]) for i, a in enumerate(args)]
    before = [[(_snapshot(orig), got) for orig, got in group] for group in pairs]
    state = _global_state()
    try:
        value = fn(*copies)
    except NotImplementedError:
        _restore(state)
        message = f"Not solved yet: {name} raises NotImplementedError. " + (hint or "Write its body, then run this cell again.")
        raise _Stop(Result(False, message, NOT_SOLVED)) from None
    except _OutOfTime as exc:
        _restore(state)
        fail(OUT_OF_TIME, _out_of_time_message(f"{name}, called as {signature},", f" {_where(exc, fn, signature)}"))
    except (SystemExit, KeyboardInterrupt) as exc:
        _restore(state)
        what = "called sys.exit() (SystemExit)" if isinstance(exc, SystemExit) else "was interrupted (KeyboardInterrupt)"
        fail(ESCAPED, f"{name} {what} {_where(exc, fn, signature)}: a function must return its result, "
             "the checker cannot grade a program that stops.",
             "remove the exit; end the function with `return ...`." if isinstance(exc, SystemExit) else
             "if you stopped it (the ■ button), run the cell again; otherwise remove the `raise`.")
    except Exception as exc:  # noqa: BLE001 -- any error in the student's code becomes a sentence
        _restore(state)
        fail(RAISED, f"{name} raised {type(exc).__name__} {_where(exc, fn, signature)}: {_first_line(exc)}", hint)
    changed = _restore(state)
    if changed:
        fail(GLOBAL_STATE, f"{name} changed torch's global settings and left them changed: {'; '.join(changed)} "
             "(the checker has put them back).", "a setting inside a function belongs in a `with` block "
             "(with torch.no_grad(): ...), which puts it back; better, leave it to the caller.")
    names = _parameter_names(inspect.unwrap(fn), len(args))
    for arg_name, group, arg in zip(names, before, args):
        found = [(k, what) for k, what in ((k, _changed(old, got)) for k, (old, got) in enumerate(group)) if what]
        if found:
            k, what = found[0]
            what = f"its item {k}: {what}" if isinstance(arg, (list, tuple)) else what
            fail(INPUT_CHANGED, f"your function {name} changed its input {arg_name} in place ({what}).",
                 "work on a copy (v = v.clone()) or use out-of-place operations (v = v + 1, not v += 1; torch.cat "
                 "instead of writing into slices of the input).")
    if value is None:
        fail(NO_RETURN, f"{name} returned None.", "is a `return` missing at its end?")
    return value


# --- gradients ------------------------------------------------------------------------------------------

def leaf(t: torch.Tensor) -> torch.Tensor:
    """A copy of ``t`` that autograd differentiates with respect to."""
    return t.detach().clone().requires_grad_(True)


def _tensors(value) -> list:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


_pending = threading.local()


def compare_gradients(got, want, name: str, wrt, seed: int = 0, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    r"""Inside a checker: grade the gradients once every value of every draw has passed (so that a gradient that
    differs is not blamed on autograd when a value would have shown the mistake at another draw); else now."""
    queue = getattr(_pending, "queue", None)
    if queue is None:
        _compare_gradients(got, want, name, wrt, seed, rtol, atol)
    else:
        queue.append((got, want, name, wrt, seed, rtol, atol))


def _compare_gradients(got, want, name: str, wrt, seed: int = 0, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    r"""The student's result must carry the reference's gradient, not only its values (a function meant for
    training: a ``.detach()``, ``torch.no_grad()``, ``.item()`` or a NumPy round trip keep the values and cut the
    gradient).

    ``got``, ``want``: the student's and the reference's outputs (tensors, or lists of them, in the same order),
    computed from the same leaves. ``wrt``: ``[(what, [tensors])]``, e.g. ``[("z", [z]), ("the parameters of m",
    list(net.parameters()))]``. A fixed random weighting w of the outputs is differentiated: ∂(Σ w·out)/∂leaf.
    """
    got, want = _tensors(got), _tensors(want)
    g = generator(seed + 12345)
    weights = [torch.randn(w.shape, generator=g, dtype=w.dtype) for w in want]
    leaves = [t for _, group in wrt for t in group]
    want_total = sum((w * o).sum() for w, o in zip(weights, want) if o.requires_grad)
    want_grads = torch.autograd.grad(want_total, leaves, allow_unused=True, retain_graph=True)
    live = [(w, o) for w, o in zip(weights, got) if o.requires_grad]
    if live:
        got_total = sum((w * o).sum() for w, o in live)
        got_grads = torch.autograd.grad(got_total, leaves, allow_unused=True, retain_graph=True)
    else:
        got_grads = [None] * len(leaves)
    hint = "a function used in training must stay in torch, with autograd on, from its inputs to its result."
    if not live and any(r is not None and bool(r.abs().max() > 0) for r in want_grads):
        what = next(what for what, group in wrt if group)
        fail(NO_GRADIENT, f"{name} has the right values, but no gradient reaches {what} through it: it carries none at "
             "all. Was it computed under torch.no_grad(), detached (.detach(), .item(), .data) or made in NumPy?", hint)
    groups, k = [], 0
    for what, group in wrt:
        pairs = list(zip(got_grads[k:k + len(group)], want_grads[k:k + len(group)]))
        k += len(group)
        groups.append((what, pairs))
    for what, pairs in groups:  # first the confirmed case: no gradient at all where the reference has one
        ref_live = any(r is not None and bool(r.abs().max() > 0) for _, r in pairs)
        mine_live = any(m is not None and bool(m.abs().max() > 0) for m, _ in pairs)
        if ref_live and not mine_live:
            fail(NO_GRADIENT, f"{name} has the right values, but no gradient reaches {what} through it: the way from "
                 f"{what} to the result is cut (a .detach(), .item(), .data, torch.no_grad() or NumPy on it).", hint)
    for what, pairs in groups:
        for mine, ref in pairs:
            ref = torch.zeros(()) if ref is None else ref
            mine = torch.zeros(()) if mine is None else mine
            scale = float(ref.abs().max()) if ref.numel() else 0.0
            error = float((mine - ref).abs().max()) if (mine.numel() and ref.numel()) else 0.0
            if error > atol + rtol * scale:
                fail(GRADIENT, f"{name} has the right values, but its gradient with respect to {what} is off by up to "
                     f"{error:.2g}: somewhere between {what} and the result autograd does not see the computation (a "
                     ".detach(), .data, torch.no_grad() or NumPy on one of the terms?).", hint)


# --- what it returned -----------------------------------------------------------------------------------

def output(value, name: str, shape: tuple, like: torch.Tensor | None = None, hint: str | None = None) -> torch.Tensor:
    """Check that ``value`` is a finite tensor of ``shape`` (and ``like``'s dtype); return it.

    A ``(B, 1)`` (or a broadcastable scalar) where ``(B,)`` is expected is the mistake ``SHAPE_B1``.
    """
    if not isinstance(value, torch.Tensor):
        fail(NOT_A_TENSOR, f"{name} should be a tensor of shape {_shape(shape)}, got {type(value).__name__}.",
             hint or "make it from the input tensors (v.new_zeros(len(v)) for zeros), so it has their dtype and device.")
    if tuple(value.shape) != tuple(shape):
        if len(shape) == 1 and tuple(value.shape) in ((shape[0], 1), (1, shape[0])):
            fail(SHAPE_B1, f"{name} has shape {_shape(value.shape)}, expected {_shape(shape)}: one number per sample.",
                 "sum over the last dimension with .sum(-1), or drop the extra one with .squeeze(-1).")
        if len(shape) == 1 and value.dim() == 0:
            fail(SHAPE_B1, f"{name} is a single number, expected shape {_shape(shape)}: one number per sample.",
                 "sum over the last dimension only, .sum(-1); a value the same for every sample: .expand(B).")
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
            state = _global_state()
            try:
                with time_budget(), torch.random.fork_rng(devices=[]):  # leave the notebook's random state as it was
                    torch.manual_seed(0)
                    with torch.enable_grad():  # gradients are part of the grading, whatever the notebook's mode
                        _pending.queue = []
                        result = checker(*args, **kwargs)
                        queue, _pending.queue = _pending.queue, None
                        for pending in queue:
                            _compare_gradients(*pending)
                        return result
            except _Stop as stop:
                return stop.result
            except _OutOfTime:
                return Result(False, "✗ " + _out_of_time_message("the check of your function(s)"), OUT_OF_TIME)
            except (SystemExit, KeyboardInterrupt) as exc:  # from code the student's function left behind (a hook)
                return Result(False, f"✗ your code raised {type(exc).__name__} while being checked.", ESCAPED)
            except Exception as exc:  # noqa: BLE001 -- what the student returned broke a comparison
                return Result(False, f"✗ your answer could not be checked: {type(exc).__name__}: {_first_line(exc)}", WRONG)
            finally:
                _pending.queue = None
                _restore(state)
        wrapper.mistakes = tuple(mistakes)
        return wrapper
    return decorate



def log_p_z(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) of each row of ``z`` (B, D): ``flowlib.StandardNormal``'s, the reference answers' base."""
    return StandardNormal(z.shape[-1]).log_prob(z)

# --- shared by the coupling checkers (notebooks 03 and 04) ---------------------------------------------

def check_kept(out: torch.Tensor, v: torch.Tensor, d: int, name: str) -> None:
    """A coupling must return its first d inputs unchanged (shared with the affine coupling's checkers)."""
    if max_error(out[:, :d], v[:, :d]) > 0:
        fail(KEPT_CHANGED, f"{name} changed the kept half: its first d coordinates must be its input's, unchanged.",
             "only the second half changes: return the input's first d columns as they are, e.g. torch.cat([z1, ...], 1) "
             "with z1 = z[:, :d].")


def check_uses_weights(outs, name: str, what: str = "m") -> None:
    """Two different networks (or parameters) ``what`` must give two different outputs."""
    if max_error(outs[0], outs[1]) < 1e-12:
        fail(NO_WEIGHTS, f"{name} gives the same result for two different {what}: it does not use the {what} it is given.",
             f"use the argument {what}, not a variable of the notebook.")


# --- the conditioner: shared by the MAF and IAF checkers -----------------------------------------------

class Conditioner:
    r"""``mu_alpha(v) -> (μ, α)``, each (B, D), of a random MADE (a perturbed ``flowlib.MAF``'s, α soft-clamped);
    counts its passes. ``layer`` is that MAF; its weights load into an IAF for notebook 06."""

    def __init__(self, dim: int, seed: int, layer: MAF | None = None):
        if layer is None:
            layer = MAF(dim, hidden=(16, 16)).double()
            randomize(layer, 0.4, seed=seed)
        self.layer = layer
        self.passes = 0

    def __call__(self, v: torch.Tensor):
        if not isinstance(v, torch.Tensor) or v.dim() != 2 or v.shape[1] != self.layer.dim:
            shape = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
            raise ValueError(f"mu_alpha expects a batch of shape (B, {self.layer.dim}), got {shape}")
        self.passes += 1
        return self.layer.mu_alpha(v)  # with gradients: the parallel directions are graded on them too


def sequential(v: torch.Tensor, mu_alpha, step) -> tuple[torch.Tensor, torch.Tensor]:
    """A D-pass loop: pass i computes out_i = step(v_i, μ_i, α_i) from out_{<i}; returns (out, Σ α_i)."""
    out = torch.zeros_like(v)
    total = v.new_zeros(len(v))
    for i in range(v.shape[1]):
        mu, alpha = mu_alpha(out)
        out[:, i] = step(v[:, i], mu[:, i], alpha[:, i])
        total = total + alpha[:, i]
    return out, total


def grade_autoregressive(fn, name: str, parallel: bool, reads_input: bool, want, seed: int, flow: str):
    r"""The shared grading of MAF's and IAF's two directions: ``fn(v, mu_alpha) -> (out, log_det)``.

    ``parallel``: one pass is the answer (MAF's inverse, IAF's forward), else D. ``reads_input``: μ, α
    read the method's input (the parallel directions) or its output (the sequential ones). ``want(v,
    conditioner)`` returns flowlib's (out, log_det). The forward directions add μ after scaling by e^α,
    the inverse ones subtract μ and scale by e^{-α}.
    """
    dim, batch = 4, 6
    v = torch.randn(batch, dim, generator=generator(seed), dtype=torch.float64)
    forward = name.endswith("forward")
    letter_in, letter_out = ("z", "x") if forward else ("x", "z")
    signature = f"{name}({letter_in}, mu_alpha)"
    conditioners = [Conditioner(dim, seed + 1), Conditioner(dim, seed + 2)]
    outs, log_dets = [], []
    with torch.no_grad():
        for conditioner in conditioners:
            out, log_det = pair(call(fn, v.clone(), conditioner, signature=signature), signature, f"({letter_out}, log_det)")
            outs.append(output(out, f"{name}'s {letter_out}", (batch, dim), like=v))
            log_dets.append(output(log_det, f"{name}'s log_det", (batch,), like=v))
        if max_error(outs[0], outs[1]) < 1e-12:
            fail(NO_WEIGHTS, f"{name} gives the same {letter_out} for two different networks: it does not use the "
                 "mu_alpha it is given.", "call the argument mu_alpha, not a layer of the notebook.")
        conditioner = conditioners[0]
        passes = conditioner.passes
        want_out, want_ld = want(v, conditioner.layer)
        sign = 1.0 if forward else -1.0
        step_right = (lambda u, m, a: u * a.exp() + m) if forward else (lambda u, m, a: (u - m) * (-a).exp())
        step_other = (lambda u, m, a: (u - m) * (-a).exp()) if forward else (lambda u, m, a: u * a.exp() + m)
        step_scale = (lambda u, m, a: u * (-a).exp() + m) if forward else (lambda u, m, a: (u - m) * a.exp())
        probe = Conditioner(dim, seed, layer=conditioner.layer)  # the same weights, its own pass counter

        def one_pass(step):
            mu, alpha = probe(v)
            return step(v, mu, alpha)

        if parallel:
            other_reading = sequential(v, probe, step_right)[0]      # μ, α from the output: the other flow
            other_direction = one_pass(step_other)
            wrong_scale = one_pass(step_scale)
        else:
            other_reading = one_pass(step_right)                     # μ, α from the input, in one pass
            other_direction = sequential(v, probe, step_other)[0]
            wrong_scale = sequential(v, probe, step_scale)[0]
        other_flow = "IAF" if flow == "MAF" else "MAF"
        direction = "forward" if forward else "inverse"
        if parallel:
            reading = (SEQUENTIAL,
                       f"{name}'s μ, α read {letter_out}, coordinate by coordinate: that is {other_flow}'s {direction}.",
                       f"in {flow}'s {direction}, μ_i and α_i read {letter_in}, known in full: one pass, mu_alpha({letter_in}).")
        else:
            reading = (ONE_PASS, f"{name}'s μ, α read the input {letter_in} in one pass: that is {other_flow}'s {direction}.",
                       f"in {flow}'s {direction}, μ_i and α_i read {letter_out}_{{<i}}, computed in the passes before: "
                       f"a loop of D passes, mu_alpha({letter_out}) each time.")
        formula = "x_i = z_i exp(α_i) + μ_i" if forward else "z_i = (x_i - μ_i) exp(-α_i)"
        compare(outs[0], want_out, f"{name}'s {letter_out}", (
            (reading[0], other_reading, reading[1], reading[2]),
            (DIRECTION, other_direction, f"{name} computes the other direction's formula.",
             "forward (z ↦ x): x_i = z_i exp(α_i) + μ_i; inverse (x ↦ z): z_i = (x_i - μ_i) exp(-α_i)."),
            (SCALE_SIGN, wrong_scale,
             f"{name} scales by exp({'-' if forward else ''}α): the sign of α is flipped in the scale.",
             "forward multiplies by exp(α), inverse by exp(-α)."),
        ), hint=f"{formula}, with μ_i, α_i from {letter_in if reads_input else letter_out + '_{<i}'}.")
        if parallel and passes != 1:
            fail(SEQUENTIAL, f"{name} is right but makes {passes} passes of mu_alpha: {flow}'s {direction} "
                 f"needs one, since every μ_i, α_i reads {letter_in}, known in full.", f"call mu_alpha({letter_in}) once.")
        compare(log_dets[0], want_ld, f"{name}'s log_det", (
            (LOG_DET_SIGN, -want_ld, f"{name}'s log_det has the wrong sign: log|det ∂{letter_out}/∂{letter_in}| is "
             f"{'+' if forward else '-'}Σ α_i.", "the inverse's log-det is minus the forward's."),
            (EXP_ALPHA, sign * conditioner.layer.mu_alpha(want_out if not reads_input else v)[1].exp().sum(-1),
             f"{name}'s log_det sums exp(α_i): the log of Π exp(α_i) is Σ α_i.", "no exp in the log-det."),
        ), hint=f"log_det = {'+' if forward else '-'}Σ_i α_i, summed over the last dimension: shape (B,).")
    _more_draws(fn, name, parallel, want, seed, flow, signature, letter_in, letter_out)
    how = "one pass" if parallel else "D sequential passes"
    return passed(f"{flow}'s {direction} ({letter_in} ↦ {letter_out}) in {how}, log_det "
                  f"{'+' if forward else '-'}Σ α of shape (B,): equal to flowlib's {flow} on random weights, for D = 4, 3 "
                  f"and 5{', values and gradients' if parallel else ''}.")


def _more_draws(fn, name, parallel, want, seed, flow, signature, letter_in, letter_out):
    """The same function at other dimensions D and batch sizes; the parallel directions (those a flow trains
    through) also on their gradients with respect to the input and the network's parameters. (The sequential
    ones write their output in place, which autograd cannot go back through: values only.)"""
    g = generator(seed + 100)
    for dim, batch in ((3, 2), (5, 9)):
        conditioner = Conditioner(dim, seed + 10 + dim)
        layer = conditioner.layer
        v = leaf(torch.randn(batch, dim, generator=g, dtype=torch.float64))
        with torch.enable_grad() if parallel else torch.no_grad():
            want_out, want_ld = want(v, layer)  # the reference first
            out, log_det = pair(call(fn, v, conditioner, signature=signature), signature, f"({letter_out}, log_det)")
        out = output(out, f"{name}'s {letter_out}", (batch, dim), like=v)
        log_det = output(log_det, f"{name}'s log_det", (batch,), like=v)
        where = f" for D = {dim}, B = {batch} (right for D = 4)"
        compare(out, want_out.detach(), f"{name}'s {letter_out}" + where,
                hint="loop over range(z.shape[1]) (D from the input, not a number), and use the mu_alpha given.")
        compare(log_det, want_ld.detach(), f"{name}'s log_det" + where, hint="Σ_i α_i over the last dimension.")
        if parallel and conditioner.passes != 1:
            fail(SEQUENTIAL, f"{name} is right but makes {conditioner.passes} passes of mu_alpha{where}: {flow}'s "
                 f"direction needs one.", f"call mu_alpha({letter_in}) once.")
        if parallel:
            compare_gradients([out, log_det], [want_out, want_ld], name,
                              [(letter_in, [v]), ("the parameters of mu_alpha's network", list(layer.parameters()))],
                              seed=dim)


def scalar(value, name: str) -> torch.Tensor:
    """A float or a 0-dim tensor, as a 0-dim tensor (a float becomes float64); (n,) per-sample values are a named
    SHAPE mistake. Used by checkers of functions that return one number (a loss, an estimate)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return torch.tensor(float(value), dtype=torch.float64)
    if not isinstance(value, torch.Tensor):
        fail(NOT_A_TENSOR, f"{name} should be a number (a 0-dim tensor), got {type(value).__name__}.")
    if value.numel() != 1:
        fail(SHAPE, f"{name} has shape {tuple(value.shape)}: one number is expected, the mean over the samples.",
             "end with .mean().")
    return value.reshape(())
