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

from ..autoregressive import MAF
from ..checks import _perturb

__all__ = [
    "Result", "exercise", "call", "fail", "passed", "output", "pair", "compare", "generator", "max_error",
    "NOT_SOLVED", "RAISED", "NO_RETURN", "NOT_A_TENSOR", "SHAPE", "SHAPE_B1", "DTYPE", "NOT_FINITE", "WRONG",
    "LOG_DET_SIGN", "DIRECTION", "KEPT_CHANGED", "SEES_ITSELF", "BASE_FORGOTTEN", "EXP_ALPHA", "NO_WEIGHTS",
    "SEQUENTIAL", "ONE_PASS", "SCALE_SIGN", "check_kept", "check_uses_weights", "Conditioner", "sequential",
    "grade_autoregressive",
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
            _perturb(layer, seed, 0.4)
        self.layer = layer
        self.passes = 0

    def __call__(self, v: torch.Tensor):
        if not isinstance(v, torch.Tensor) or v.dim() != 2 or v.shape[1] != self.layer.dim:
            shape = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
            raise ValueError(f"mu_alpha expects a batch of shape (B, {self.layer.dim}), got {shape}")
        self.passes += 1
        with torch.no_grad():
            return self.layer.mu_alpha(v)


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
    how = "one pass" if parallel else f"{dim} sequential passes"
    return passed(f"{flow}'s {direction} ({letter_in} ↦ {letter_out}) in {how}, log_det "
                  f"{'+' if forward else '-'}Σ α of shape (B,): equal to flowlib's {flow} on random weights.")
