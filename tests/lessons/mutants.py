r"""Mutation testing of the exercise checkers (issue 24): every behaviour-changing mutant of a published
solution must get ✗ from its checker.

    python -m tests.lessons.mutants                  # the CI sample (what tests/lessons/test_mutants.py runs)
    python -m tests.lessons.mutants --all            # every mutant of every solution (the full run)
    python -m tests.lessons.mutants --only scaling   # one exercise (its checker's name), with --all for all of it
    python -m tests.lessons.mutants --answers        # instead: tests/lessons/test_answers.py's answers, failures listed

(from the repository root, with ``PYTHONPATH=$PWD``). Each run prints the score table and writes it to
``--report`` (default /work/notes/mutation_report.txt when /work/notes exists) and the survivors to
``--survivors`` (default /work/notes/survivors.txt).

What is mutated. The exercises are found in the notebooks, not listed here: every code cell tagged
``exercise`` followed by a markdown cell tagged ``solution`` holding one fenced python block; the block is
the published solution and the last line of the exercise cell is its check call (``check.NAME(fn, ...)``).
The functions the solution defines are mutated, one change at a time (first-order mutants), by the operators
of ``OPERATORS``: arithmetic operators swapped, operands swapped, a term dropped, a sign flipped or added, a
comparison loosened, a call replaced by another (exp/log, sum/mean, sin/cos, ...) or dropped, an argument
dropped, ``.detach()`` inserted on a tensor, the body run under ``torch.no_grad()``, a statement deleted, an
argument or a shape (``len(z)``, ``z.shape[1]``) replaced by the constant the checker passed on its first
call (the "hard-coded at the checked value" mistake), slices and indices off by one, constants off by one,
loops reversed, in-place variants (``a.add_(b)``, ``a += b``, a fresh buffer replaced by the input itself),
outputs swapped or negated.

Equivalent mutants are recognised by behaviour, never by a list: ``PROBES`` calls the original and the mutant
on the same random inputs, over several draws with different shapes, splits, parities, parameter values and
seeds (independent of the checker's own inputs), and compares what comes back (values within 1e-6 relative),
whether the inputs are left unchanged, and, for the functions meant for training, the gradients with respect
to the inputs and to the network's parameters. A mutant that behaves like the original on every draw is
equivalent (it must get ✓: a ✗ there is a correct answer rejected); any other is behaviour-changing (it must
get ✗). An exercise whose checker has no probe here is probed by replaying the calls its checker made to the
published solution, on perturbed copies of the same arguments (weaker: a hard-coded shape is not seen).

Why not mutmut or cosmic-ray (both looked at): both mutate the files of an installed package on disk and run
a test command per mutant (mutmut copies the tree into ./mutants and runs pytest; cosmic-ray keeps a session
database and runs a configured test command), and count a mutant killed when that command fails. Our code
under test is a fenced block in a notebook's Markdown, graded by a checker call, and the two questions that
matter here are outside their model: is the mutant behaviour-changing at all (their reports count equivalent
mutants as survivors, to be excluded by hand), and does the checker reject it. Their operator sets are also
generic (no ``.detach()``, ``no_grad``, in-place tensor methods or hard-coding at the checker's value). A small
AST mutator over the solution itself (Python's ``ast``, ~200 lines) does all of it in one process, in seconds
per exercise, without copying the repository or starting pytest per mutant.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import dataclasses
import difflib
import functools
import hashlib
import json
import linecache
import math
import os
import re
import signal
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
NOTES = Path("/work/notes")
SOLUTION_BLOCK = re.compile(r"<details><summary>Solution</summary>\s*```python\n(.*?)```\s*</details>", re.S)
CHECK_CALL = re.compile(r"^check\.(\w+)\((.*)\)\s*$")
TIMEOUT_S = 120          # one mutant: its probe and its checker (a checker should stop a runaway function long before)
# Mutants per exercise in the CI sample (fewer for the slow checkers): about 370 of the 1204 mutants of today's
# solutions, every operator family of every exercise included. MUTANTS_CI_SAMPLE overrides (e.g. 1000: all of them).
CI_SAMPLE = int(os.environ.get("MUTANTS_CI_SAMPLE", 20))
CI_SAMPLE_SLOW = {"training_loop": min(CI_SAMPLE, 6), "alternating_stack": min(CI_SAMPLE, 8)}


# --- the exercises ----------------------------------------------------------------------------------------

@dataclasses.dataclass
class Exercise:
    key: str            # "notebook:cell id"
    checker: str        # check.<checker>
    call: str           # the check call, e.g. "check.scaling(scaling_forward, scaling_inverse)"
    fn_names: list      # the names passed to the checker, in order
    solution: str       # the published solution's source


def _tags(cell) -> list:
    return cell.get("metadata", {}).get("tags", [])


def exercises(notebooks=None) -> list[Exercise]:
    """Every exercise of every notebook (or of ``notebooks``), with its published solution."""
    found = []
    for path in notebooks or sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if "exercise" not in _tags(cell) or i + 1 >= len(cells) or "solution" not in _tags(cells[i + 1]):
                continue
            blocks = SOLUTION_BLOCK.findall("".join(cells[i + 1]["source"]))
            call = "".join(cell["source"]).strip().splitlines()[-1].strip()
            match = CHECK_CALL.match(call)
            if len(blocks) != 1 or not match:
                continue
            names = [a.strip() for a in match.group(2).split(",") if a.strip()]
            found.append(Exercise(f"{Path(path).stem}:{cell['id']}", match.group(1), call, names, blocks[0]))
    return found


# --- running a cell ---------------------------------------------------------------------------------------

class Timeout(BaseException):
    """Raised by the alarm: a BaseException, so that no checker's ``except Exception`` swallows it."""


@contextlib.contextmanager
def time_limit(seconds: float):
    def alarm(signum, frame):
        raise Timeout()
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def global_state_kept():
    """Whatever a mutant or a checker does to torch's global switches, the next mutant starts clean."""
    state = (torch.is_grad_enabled(), torch.get_default_dtype(), torch.get_num_threads(),
             torch.is_anomaly_enabled(), torch.are_deterministic_algorithms_enabled(), torch.random.get_rng_state())
    try:
        yield
    finally:
        torch.set_grad_enabled(state[0])
        torch.set_default_dtype(state[1])
        if torch.get_num_threads() != state[2]:
            torch.set_num_threads(state[2])
        torch.autograd.set_detect_anomaly(state[3])
        torch.use_deterministic_algorithms(state[4])
        torch.random.set_rng_state(state[5])


def namespace() -> dict:
    from flowlib import check
    return {"torch": torch, "math": math, "check": check, "__name__": "__main__"}


_cells = 0


def define(source: str, extra: dict | None = None) -> dict:
    """Run ``source`` as a notebook cell (registered with linecache, as IPython does); return its namespace."""
    global _cells
    _cells += 1
    name = f"<cell {_cells}>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    ns = namespace()
    ns.update(extra or {})
    exec(compile(source, name, "exec"), ns)
    return ns


def run_checker(exercise: Exercise, source: str, extra: dict | None = None):
    """(passed, message) of the checker on ``source``; the message says so when the checker itself misbehaved."""
    with global_state_kept():
        try:
            ns = define(source, extra)
            result = eval(compile(exercise.call, "<check call>", "eval"), ns)
        except (Timeout, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001 -- a checker must never raise: that is a finding, not a crash here
            return False, f"CHECKER RAISED {type(exc).__name__}: {exc}"
    if not hasattr(result, "passed"):
        return False, f"CHECKER RETURNED {type(result).__name__}"
    return bool(result.passed), str(getattr(result, "message", result))


# --- the mutator ------------------------------------------------------------------------------------------

OP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
           ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.MatMult: ast.Mult}
INPLACE = {ast.Add: "add_", ast.Sub: "sub_", ast.Mult: "mul_", ast.Div: "div_"}
CMP_SWAP = {ast.GtE: ast.Gt, ast.Gt: ast.GtE, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
CALL_SWAP = {"exp": "log", "log": "exp", "log1p": "log", "sin": "cos", "cos": "sin", "mean": "sum", "sum": "mean",
             "std": "var", "var": "std", "zeros_like": "ones_like", "new_zeros": "new_ones", "tril": "triu",
             "triu": "tril", "cat": "stack", "argsort": "sort", "sqrt": "exp", "abs": "neg", "max": "min", "min": "max"}
CALL_DROP = {"exp", "log", "log1p", "abs", "sqrt", "argsort", "reversed", "float", "double", "sort", "clone", "tanh",
             "contiguous", "repeat", "expand", "squeeze", "unsqueeze", "sign", "list"}
ALIASING = {"zeros_like", "empty_like", "clone", "new_zeros", "zeros"}   # a fresh buffer: replaced by its input


def _function_nodes(tree):
    """The nodes that may be mutated: inside the solution's function bodies, docstrings excluded."""
    inside = set()
    for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]:
        body = fn.body if isinstance(fn.body, list) else [fn.body]
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        for stmt in body:
            inside.update(id(n) for n in ast.walk(stmt))
    return inside


def _unwrappable(tree) -> set:
    """Expression nodes that cannot be wrapped in a call: call targets, stores, slices, f-string parts, ..."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            ids.add(id(node.func))
        if isinstance(node, ast.Subscript) and isinstance(node.slice, (ast.Slice, ast.Tuple)):
            ids.add(id(node.slice))
        if isinstance(node, ast.JoinedStr):
            ids.update(id(n) for n in ast.walk(node))
        if isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
            ids.update(id(n) for n in ast.walk(node))
        if isinstance(node, (ast.Starred, ast.Slice, ast.keyword, ast.arg, ast.arguments)):
            ids.add(id(node))
        if isinstance(node, ast.comprehension):
            ids.update(id(n) for n in ast.walk(node.target))
    return ids


def instrument(source: str) -> tuple[str, dict]:
    """``source`` with every wrappable expression ``e`` (k-th node of ``ast.walk``) replaced by ``__rec__(k, e)``;
    and the ``__rec__`` that records the type and the first value of each."""
    tree = ast.parse(source)
    index = {id(n): k for k, n in enumerate(ast.walk(tree))}
    skip, inside = _unwrappable(tree), _function_nodes(tree)
    seen: dict = {}

    class Wrap(ast.NodeTransformer):
        def generic_visit(self, node):
            key = index.get(id(node))
            super().generic_visit(node)
            if isinstance(node, ast.expr) and id(node) not in skip and id(node) in inside \
                    and not isinstance(node, ast.Constant):
                return ast.Call(ast.Name("__rec__", ast.Load()), [ast.Constant(key), node], [])
            return node

    def rec(k, value):
        if k not in seen:
            seen[k] = (type(value).__name__, value if isinstance(value, (bool, int, float)) else None)
        return value

    tree = ast.fix_missing_locations(Wrap().visit(tree))
    return ast.unparse(tree), {"__rec__": rec, "seen": seen}


@dataclasses.dataclass
class Mutant:
    operator: str       # the operator's family (the table's columns are per exercise; survivors name it)
    what: str           # the mutation in words
    diff: str           # "- old line / + new line"
    source: str


def _parent_slots(tree):
    slots = {}
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if isinstance(value, ast.AST):
                slots[id(value)] = (parent, field, None)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        slots[id(item)] = (parent, field, i)
    return slots


def _call(func, *args, **kwargs):
    return ast.Call(func, list(args), [ast.keyword(k, v) for k, v in kwargs.items()])


def _method(obj, name, *args):
    return _call(ast.Attribute(obj, name, ast.Load()), *args)


def _torch(name, *args):
    return _call(ast.Attribute(ast.Name("torch", ast.Load()), name, ast.Load()), *args)


def _callee(node: ast.Call):
    return node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id if isinstance(node.func, ast.Name) else None


def operators(node, parent_info, kind: str | None, value, params: set, is_param_name: bool):
    """(operator family, description, function(copy of node) -> replacement) for one node."""
    text = ast.unparse(node) if isinstance(node, ast.expr) else ""
    short = text if len(text) <= 40 else text[:37] + "..."
    if isinstance(node, ast.BinOp):
        op = type(node.op)
        if op in OP_SWAP:
            new = OP_SWAP[op]
            yield "operator", f"{short}: {op.__name__} -> {new.__name__}", lambda n, new=new: ast.BinOp(n.left, new(), n.right)
        yield "swapped operands", f"{short}: operands swapped", lambda n: ast.BinOp(n.right, n.op, n.left)
        yield "dropped term", f"{short}: right operand dropped", lambda n: n.left
        yield "dropped term", f"{short}: left operand dropped", lambda n: n.right
        yield "sign", f"{short}: negated", lambda n: ast.UnaryOp(ast.USub(), n)
        if op in INPLACE and not isinstance(node.left, ast.Constant):
            yield "in-place", f"{short}: in place, .{INPLACE[op]}", lambda n, m=INPLACE[op]: _method(n.left, m, n.right)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "sign", f"{short}: minus dropped", lambda n: n.operand
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in CMP_SWAP:
        new = CMP_SWAP[type(node.ops[0])]
        yield "comparison", f"{short}: {type(node.ops[0]).__name__} -> {new.__name__}", \
            lambda n, new=new: ast.Compare(n.left, [new()], n.comparators)
    elif isinstance(node, ast.Call):
        name = _callee(node)
        if name in CALL_SWAP:
            new = CALL_SWAP[name]

            def swap(n, new=new):
                n = copy.deepcopy(n)
                if isinstance(n.func, ast.Attribute):
                    n.func.attr = new
                else:
                    n.func.id = new
                return n
            yield "call swapped", f"{short}: {name} -> {new}", swap
        if name in CALL_DROP:
            module = isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in ("torch", "math")
            if isinstance(node.func, ast.Attribute) and not module:
                yield "call dropped", f"{short}: .{name}() dropped", lambda n: n.func.value
            elif node.args:
                yield "call dropped", f"{short}: {name}(...) dropped", lambda n: n.args[0]
        if name in ALIASING and kind == "Tensor":
            if isinstance(node.func, ast.Attribute) and name in ("new_zeros", "clone") and isinstance(node.func.value, ast.Name):
                yield "in-place", f"{short}: the input itself instead of a new buffer", lambda n: n.func.value
            elif node.args and isinstance(node.args[0], ast.Name):
                yield "in-place", f"{short}: the input itself instead of a new buffer", lambda n: n.args[0]
        if isinstance(node.func, ast.Attribute) and node.args and not isinstance(node.func.value, ast.Name):
            yield "argument dropped", f"{short}: arguments dropped", lambda n: ast.Call(n.func, [], n.keywords)
        if isinstance(node.func, ast.Attribute) and node.args and isinstance(node.func.value, ast.Name) \
                and node.func.value.id not in ("torch", "math"):
            yield "argument dropped", f"{short}: arguments dropped", lambda n: ast.Call(n.func, [], n.keywords)
        for i, kw in enumerate(node.keywords):
            yield "argument dropped", f"{short}: {kw.arg}= dropped", \
                lambda n, i=i: ast.Call(n.func, n.args, n.keywords[:i] + n.keywords[i + 1:])
        if name == "range" and len(node.args) == 1:
            yield "off by one", f"{short}: range(n - 1)", \
                lambda n: _call(n.func, ast.BinOp(n.args[0], ast.Sub(), ast.Constant(1)))
            yield "off by one", f"{short}: range(1, n)", lambda n: _call(n.func, ast.Constant(1), n.args[0])
            yield "reversed loop", f"{short}: reversed", lambda n: _call(ast.Name("reversed", ast.Load()), n)
    if isinstance(node, ast.expr) and kind == "Tensor" and not (isinstance(node, ast.Name) and node.id == "torch"):
        if isinstance(node, (ast.Call, ast.BinOp, ast.Subscript)) or (isinstance(node, ast.Name) and parent_info == "return"):
            yield "gradient cut", f"{short}: .detach()", lambda n: _method(n, "detach")
            yield "gradient cut", f"{short}: through NumPy", \
                lambda n: _torch("as_tensor", _method(_method(n, "detach"), "numpy"))
        if parent_info == "return" and not isinstance(node, (ast.BinOp, ast.UnaryOp)):
            yield "sign", f"{short}: negated output", lambda n: ast.UnaryOp(ast.USub(), n)
    if isinstance(node, ast.expr) and isinstance(value, (int, float)) and not isinstance(value, bool) \
            and (is_param_name or (isinstance(node, ast.Call) and _callee(node) == "len")
                 or (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape")
                 or (isinstance(node, ast.Call) and _callee(node) == "size")):
        yield "hard-coded", f"{short} hard-coded as {value!r} (the checker's first value)", lambda n, v=value: ast.Constant(v)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        c = node.value
        if isinstance(c, int):
            yield "constant", f"{c} -> {c + 1}", lambda n, c=c: ast.Constant(c + 1)
            yield "constant", f"{c} -> {c - 1}", lambda n, c=c: ast.Constant(c - 1)
        else:
            yield "constant", f"{c} -> {-c}", lambda n, c=c: ast.Constant(-c)
            yield "constant", f"{c} -> {2 * c}", lambda n, c=c: ast.Constant(2 * c)
    if isinstance(node, ast.Slice):
        for field in ("lower", "upper"):
            bound = getattr(node, field)
            if bound is not None and not isinstance(bound, ast.Constant):
                for op, sign in ((ast.Add, "+"), (ast.Sub, "-")):
                    yield "off by one", f"slice {ast.unparse(node)}: {field} {sign} 1", \
                        lambda n, f=field, op=op: ast.Slice(**{**{k: getattr(n, k) for k in ("lower", "upper", "step")},
                                                               f: ast.BinOp(getattr(n, f), op(), ast.Constant(1))})
                yield "off by one", f"slice {ast.unparse(node)}: {field} dropped", \
                    lambda n, f=field: ast.Slice(**{**{k: getattr(n, k) for k in ("lower", "upper", "step")}, f: None})
    if isinstance(node, ast.expr) and parent_info == "index" and not isinstance(node, ast.Constant) \
            and (kind == "int" or (kind is None and isinstance(node, ast.Name))):
        yield "off by one", f"index {short}: + 1", lambda n: ast.BinOp(n, ast.Add(), ast.Constant(1))
        yield "off by one", f"index {short}: - 1", lambda n: ast.BinOp(n, ast.Sub(), ast.Constant(1))
    if isinstance(node, ast.For):
        yield "reversed loop", f"for {ast.unparse(node.target)} in {ast.unparse(node.iter)}: reversed", \
            lambda n: ast.For(n.target, _call(ast.Name("reversed", ast.Load()), _call(ast.Name("list", ast.Load()), n.iter)),
                              n.body, n.orelse)
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
        yield "swapped outputs", "the two outputs swapped", lambda n: ast.Return(ast.Tuple(n.value.elts[::-1], ast.Load()))
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
            and isinstance(node.value, ast.BinOp) and isinstance(node.value.left, ast.Name) \
            and node.value.left.id == node.targets[0].id:
        yield "in-place", f"{ast.unparse(node)}: as an augmented assignment", \
            lambda n: ast.AugAssign(ast.Name(n.targets[0].id, ast.Store()), n.value.op, n.value.right)
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.Expr)) and parent_info == "body":
        yield "deleted statement", f"`{ast.unparse(node)[:50]}` deleted", lambda n: ast.Pass()
    if isinstance(node, ast.FunctionDef):
        yield "gradient cut", f"{node.name}'s body under torch.no_grad()", \
            lambda n: ast.FunctionDef(n.name, n.args, [ast.With([ast.withitem(_torch("no_grad"))], n.body)],
                                      n.decorator_list, n.returns, getattr(n, "type_comment", None),
                                      **({"type_params": n.type_params} if hasattr(n, "type_params") else {}))


def _diff(old: list, new: list) -> str:
    """The changed lines, "- old line + new line" (a body moved under a `with` shows as the added line)."""
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            parts.append(" ".join([f"- {a.strip()}" for a in old[i1:i2]] + [f"+ {b.strip()}" for b in new[j1:j2]]))
    text = " | ".join(parts)
    return text if len(text) <= 400 else text[:397] + "..."


def mutants(source: str, seen: dict | None = None) -> list[Mutant]:
    """Every first-order mutant of ``source`` (deduplicated by code; the unchanged code is dropped).

    ``seen``: what ``instrument`` recorded while the checker ran the original (types, first int/float values).
    """
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))
    inside = _function_nodes(tree)
    slots = _parent_slots(tree)
    params = {a.arg for fn in nodes if isinstance(fn, ast.FunctionDef) for a in fn.args.args}
    original = ast.unparse(tree)
    lines = original.splitlines()
    found, codes = [], {original}
    for k, node in enumerate(nodes):
        if id(node) not in inside and not isinstance(node, ast.FunctionDef):
            continue
        parent, field, _ = slots.get(id(node), (None, None, None))
        info = ("return" if isinstance(parent, ast.Return) or (isinstance(parent, ast.Tuple) and
                                                               isinstance(slots.get(id(parent), (None,))[0], ast.Return))
                else "index" if isinstance(parent, ast.Subscript) and field == "slice"
                or (isinstance(parent, ast.Tuple) and isinstance(slots.get(id(parent), (None, None))[0], ast.Subscript))
                else "body" if field in ("body", "orelse") else None)
        kind, value = (seen or {}).get(k, (None, None))
        is_param = isinstance(node, ast.Name) and node.id in params and isinstance(node.ctx, ast.Load)
        for family, what, change in operators(node, info, kind, value, params, is_param):
            mutated = copy.deepcopy(tree)
            target = list(ast.walk(mutated))[k]
            p, f, i = _parent_slots(mutated)[id(target)]
            try:
                replacement = change(copy.deepcopy(target))
                if i is None:
                    setattr(p, f, replacement)
                else:
                    getattr(p, f)[i] = replacement
                code = ast.unparse(ast.fix_missing_locations(mutated))
                compile(code, "<mutant>", "exec")
            except (SyntaxError, TypeError, ValueError, AttributeError):
                continue
            if code in codes:
                continue
            codes.add(code)
            found.append(Mutant(family, what, _diff(lines, code.splitlines()), code))
    return found


# --- behaviour on random inputs ---------------------------------------------------------------------------

DRAWS = 4


def _gen(k: int) -> torch.Generator:
    return torch.Generator().manual_seed(7919 * (k + 1))


def _randn(g, *shape, scale=1.0):
    return scale * torch.randn(*shape, generator=g, dtype=torch.float64)


def _net(n_in, n_out, g):
    """An MLP with random weights (flowlib's MLP zeroes its last layer: randomized here)."""
    from flowlib import MLP, randomize
    return randomize(MLP(n_in, n_out, hidden=(8,), activation=nn.Tanh).double(), 0.5, generator=g)


def _layer(cls, dim, g, **kwargs):
    from flowlib import randomize
    return randomize(cls(dim, hidden=(8,), **kwargs).double(), 0.3, generator=g)


def _flow(cls, dim, k, g):
    from flowlib import Flow, Reverse, StandardNormal
    layers = []
    for i in range(k):
        layers += [_layer(cls, dim, g)] + ([Reverse(dim)] if i < k - 1 else [])
    return Flow(StandardNormal(dim), layers).double()


class Record(list):
    """What a probe saw: a list of (label, value); values are tensors, numbers, strings or tuples of them."""

    def out(self, label, value):
        self.append((label, _plain(value)))

    def grads(self, label, outputs, leaves, g):
        """Gradients of a fixed random weighting of ``outputs`` with respect to ``leaves``."""
        outputs = [o for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs]) if isinstance(o, torch.Tensor)]
        live = [o for o in outputs if o.requires_grad]
        if not live:
            self.append((label, "no gradient at all"))
            return
        total = sum((o * torch.randn(o.shape, generator=g, dtype=o.dtype)).sum() for o in live)
        got = torch.autograd.grad(total, leaves, allow_unused=True)
        self.append((label, tuple("unused" if x is None else x.detach().clone() for x in got)))

    def unchanged(self, label, before, after):
        self.append((label + " left unchanged", bool(torch.equal(before, after.detach()))))


def _plain(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return type(value).__name__


def _leaf(t):
    return t.detach().clone().requires_grad_(True)


def _params(*modules):
    return [p for m in modules for p in m.parameters()]


SPLITS = [(6, 3), (5, 2), (4, 1), (7, 5)]
BATCH = [5, 3, 4, 2]
DIMS = [3, 2, 5, 4]


def probe_sample_exponential(fns, k, rec, g):
    n, rate = [5, 9, 1, 20][k], [0.7, 2.0, 5.5, 1.0][k]
    u = torch.rand(n, generator=g, dtype=torch.float64).clamp(1e-6, 1 - 1e-6)
    before = u.clone()
    rec.out("x", fns[0](u, rate))
    rec.unchanged("u", before, u)


def _theta(g, k):
    return torch.cat([_randn(g, 3, scale=0.6), (torch.rand(1, generator=g, dtype=torch.float64) * 6 - 3)])


def probe_bend_log_prob(fns, k, rec, g):
    x, theta = _leaf(_randn(g, BATCH[k], 2, scale=1.5)), _leaf(_theta(g, k))
    before = x.detach().clone()
    out = fns[0](x, theta)
    rec.out("log p", out)
    rec.grads("d/dx, d/dθ", out, [x, theta], g)
    rec.unchanged("x", before, x)


def probe_bend_jacobian(fns, k, rec, g):
    z, theta = _randn(g, 2, scale=1.2), _theta(g, k)
    before = (z.clone(), theta.clone())
    rec.out("J", fns[0](z, theta))
    rec.unchanged("z", before[0], z)
    rec.unchanged("θ", before[1], theta)


def probe_triangular_log_det(fns, k, rec, g):
    batch, n = [3, 1, 4, 2][k], [3, 1, 6, 40][k]
    L = _randn(g, batch, n, n)
    diag = torch.exp(_randn(g, batch, n)) * torch.where(torch.rand(batch, n, generator=g) < 0.3, -1.0, 1.0).double()
    L = (L.tril(-1) if k % 2 == 0 else L.triu(1)) + torch.diag_embed(diag)
    L = _leaf(L)
    before = L.detach().clone()
    out = fns[0](L)
    rec.out("log|det|", out)
    rec.grads("d/dL", out, [L], g)
    rec.unchanged("L", before, L)


def _couplings(dim, count, g):
    from flowlib import AffineCoupling
    return [_layer(AffineCoupling, dim, g, parity=(i + dim) % 2) for i in range(count)]


def probe_composition(fns, k, rec, g):
    dim, count = DIMS[k], [3, 1, 4, 2][k]
    layers = _couplings(dim, count, g)
    z = _leaf(_randn(g, BATCH[k], dim))
    before = z.detach().clone()
    out = fns[0](layers, z)
    rec.out("(x, log_det)", out)
    rec.grads("d/dz, d/dθ", out, [z] + _params(*layers), g)
    rec.unchanged("z", before, z)


def probe_log_prob(fns, k, rec, g):
    dim, count = DIMS[k], [3, 1, 4, 2][k]
    layers = _couplings(dim, count, g)
    x = _leaf(_randn(g, BATCH[k], dim, scale=1.3))
    before = x.detach().clone()
    out = fns[0](x, list(layers))
    rec.out("log p", out)
    rec.grads("d/dx, d/dθ", out, [x] + _params(*layers), g)
    rec.unchanged("x", before, x)


def _both_directions(fns, make, k, rec, g):
    n, d = SPLITS[k]
    net, fn = make(n, d, g)
    for which, f in zip(("forward", "inverse"), fns):
        v = _leaf(_randn(g, BATCH[k], n))
        before = v.detach().clone()
        out = f(v, fn, d)
        rec.out(which, out)
        rec.grads(which + " d/dv, d/dθ", out, [v] + _params(net), g)
        rec.unchanged(which + "'s input", before, v)


def _shift(n, d, g):
    net = _net(d, n - d, g)
    return net, lambda z1: net(z1)


def _mu_alpha(n, d, g):
    net = _net(d, 2 * (n - d), g)

    def mu_alpha(z1):
        out = net(z1)
        return out[:, :n - d], torch.tanh(out[:, n - d:])
    return net, mu_alpha


def probe_additive_coupling(fns, k, rec, g):
    _both_directions(fns, _shift, k, rec, g)


def probe_affine_forward(fns, k, rec, g):
    _both_directions(fns[:1], _mu_alpha, k, rec, g)


def probe_affine_inverse(fns, k, rec, g):
    _both_directions(fns[:1], _mu_alpha, k, rec, g)


def probe_scaling(fns, k, rec, g):
    n = [4, 1, 3, 6][k]
    s = _leaf(_randn(g, n, scale=0.7))
    for which, f in zip(("forward", "inverse"), fns):
        v = _leaf(_randn(g, BATCH[k], n))
        before, s_before = v.detach().clone(), s.detach().clone()
        out = f(v, s)
        rec.out(which, out)
        rec.grads(which + " d/dv, d/ds", out, [v, s], g)
        rec.unchanged(which + "'s input", before, v)
        rec.unchanged(which + "'s s", s_before, s)


def probe_alternating_stack(fns, k, rec, g):
    dim, count = [2, 3, 4, 5][k], [1, 2, 3, 4][k]
    layers = list(fns[0](dim, count))
    rec.out("count", len(layers))
    rec.out("classes", tuple(type(layer).__name__ for layer in layers))
    rec.out("dims", tuple(getattr(layer, "dim", None) for layer in layers))
    masks = [getattr(layer, "mask", None) for layer in layers]
    if all(isinstance(m, torch.Tensor) for m in masks) and masks:
        rec.out("alternation", tuple(bool(torch.equal(m, masks[0])) for m in masks))
        rec.out("kept sizes", sorted(int(m.sum()) for m in masks))  # which half comes first is free
    rec.out("distinct layers", len({id(layer) for layer in layers}))
    params = [p for layer in layers for p in layer.parameters()]
    rec.out("distinct parameters", len({id(p) for p in params}) == len(params))


def probe_made_masks(fns, k, rec, g):
    dim, hidden = [2, 3, 5, 4][k], [(6,), (5, 7), (4,), (8, 8)][k]
    order = torch.randperm(dim, generator=g).tolist()
    for seed in range(3):  # an answer that draws hidden degrees at random must be right under every seed
        torch.manual_seed(seed)
        masks = list(fns[0](dim, hidden, list(order)))
        rec.out("shapes", tuple(tuple(m.shape) for m in masks))
        rec.out("0/1", all(bool(((m == 0) | (m == 1)).all()) for m in masks))
        path = masks[0].double()
        for m in masks[1:]:
            path = m.double() @ path
        rec.out("connectivity", path > 0)


def _autoregressive(cls, gradients=True):
    """MAF/IAF passes; ``gradients`` for the direction a model trains through (MAF's inverse, IAF's forward): the
    sequential directions write into their output in place, which autograd cannot go back through."""
    def probe(fns, k, rec, g):
        dim = DIMS[k]
        layer = _layer(cls, dim, g)
        v = _leaf(_randn(g, BATCH[k], dim))
        before = v.detach().clone()
        out = fns[0](v, layer.mu_alpha)
        rec.out("(out, log_det)", out)
        if gradients:
            rec.grads("d/dv, d/dθ", out, [v] + _params(layer), g)
        rec.unchanged("input", before, v)
    return probe


def probe_sample_with_log_prob(fns, k, rec, g):
    from flowlib import IAF
    flow = _flow(IAF, DIMS[k], [2, 1, 2, 3][k], g)
    torch.manual_seed(100 + k)
    out = fns[0](flow, [4, 7, 1, 5][k])
    rec.out("(x, log q)", out)
    rec.grads("d/dθ", out, _params(flow), g)


def _teacher_student(k, g):
    from flowlib import IAF, MAF
    return _flow(IAF, DIMS[k], [2, 1, 2, 1][k], g), _flow(MAF, DIMS[k], [1, 2, 2, 1][k], g)


def probe_distillation_loss(fns, k, rec, g):
    student, teacher = _teacher_student(k, g)
    torch.manual_seed(200 + k)
    out = fns[0](student, teacher, [16, 5, 9, 2][k])
    rec.out("loss", out)
    rec.grads("d/dθ student", out, _params(student), g)


def probe_forward_kl(fns, k, rec, g):
    """No gradients: notebook 07 calls it "a measure to pay for once, not a training loss"."""
    student, teacher = _teacher_student(k, g)
    torch.manual_seed(300 + k)
    rec.out("KL", fns[0](student, teacher, [16, 5, 9, 2][k]))


def probe_kl_estimate(fns, k, rec, g):
    q, p = _teacher_student(k, g)
    torch.manual_seed(400 + k)
    with torch.no_grad():
        rec.out("(kl, se)", fns[0](q, p, [16, 5, 9, 3][k]))


def probe_entropy_estimate(fns, k, rec, g):
    """Notebook 08's task: ``entropy_estimate(sample, log_prob, n) -> (h, se)``, on a Gaussian of random scale."""
    dim, scale = DIMS[k], 0.5 + torch.rand(1, generator=g, dtype=torch.float64)
    shift = _randn(g, dim)
    torch.manual_seed(600 + k)
    sample = lambda n: shift + scale * torch.randn(n, dim, dtype=torch.float64)  # noqa: E731
    log_prob = lambda x: (-0.5 * ((x - shift) / scale) ** 2 - torch.log(scale) - 0.5 * math.log(2 * math.pi)).sum(-1)  # noqa: E731
    rec.out("(h, se)", fns[0](sample, log_prob, [16, 5, 9, 3][k]))


def probe_training_loop(fns, k, rec, g):
    from flowlib import AffineCoupling, Flow, StandardNormal
    dim = [2, 3, 2, 4][k]
    flow = Flow(StandardNormal(dim), _couplings(dim, 2, g)).double()
    assert all(isinstance(layer, AffineCoupling) for layer in flow.layers)
    data = _randn(g, [40, 25, 60, 30][k], dim, scale=1.5) + 0.5
    before = data.clone()
    steps, lr = [3, 4, 2, 5][k], [1e-2, 3e-3, 5e-2, 1e-3][k]
    losses = fns[0](flow, data, steps, lr)
    rec.out("losses", [float(x) for x in losses] if isinstance(losses, (list, tuple)) else losses)
    rec.out("trained parameters", torch.cat([p.detach().flatten() for p in flow.parameters()]))
    rec.unchanged("data", before, data)


PROBES = {name[len("probe_"):]: fn for name, fn in list(globals().items()) if name.startswith("probe_")}
_flowlib = __import__("flowlib")
PROBES.update({"maf_inverse": _autoregressive(_flowlib.MAF), "maf_forward": _autoregressive(_flowlib.MAF, gradients=False),
               "iaf_forward": _autoregressive(_flowlib.IAF), "iaf_inverse": _autoregressive(_flowlib.IAF, gradients=False)})


def replay_probe(calls):
    """For a checker without a probe: its own calls to the solution, on perturbed copies of their arguments."""
    def probe(fns, k, rec, g):
        from flowlib import randomize
        torch.manual_seed(500 + k)
        for i, args in enumerate(calls[: 3]):
            args = copy.deepcopy(args)
            moved = []
            for a in args:
                if isinstance(a, torch.Tensor) and a.is_floating_point():
                    a = _leaf(a * (1 + 0.1 * torch.randn(a.shape, generator=g, dtype=a.dtype)))
                elif isinstance(a, nn.Module):
                    randomize(a, 0.05, generator=g)
                moved.append(a)
            leaves = [a for a in moved if isinstance(a, torch.Tensor) and a.requires_grad]
            leaves += [p for a in moved if isinstance(a, nn.Module) for p in a.parameters()]
            for j, f in enumerate(fns):
                out = f(*moved)
                rec.out(f"call {i}/{j}", out)
                flat = [o for o in (out if isinstance(out, (tuple, list)) else [out]) if isinstance(o, torch.Tensor)]
                if leaves and flat:
                    rec.grads(f"call {i}/{j} gradients", flat, leaves, g)
    return probe


def behaviour(probe, fns) -> list:
    """What ``fns`` do under every draw of ``probe``: a list of Records (an exception is part of behaviour)."""
    records = []
    for k in range(DRAWS):
        rec = Record()
        with global_state_kept():
            try:
                probe(fns, k, rec, _gen(k))
            except (Timeout, KeyboardInterrupt):
                raise
            except BaseException as exc:  # noqa: BLE001 -- a mutant that raises behaves differently
                rec.append(("raised", type(exc).__name__))
        records.append(rec)
    return records


def same(a, b, rtol=1e-6, atol=1e-9) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.shape != b.shape:
            return False
        if a.dtype != b.dtype and not (a.is_floating_point() and b.is_floating_point()):
            return bool(torch.equal(a.double(), b.double()))
        if a.dtype == torch.bool or b.dtype == torch.bool:
            return bool(torch.equal(a, b))
        a, b = a.double(), b.double()
        return bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b) \
            and all(same(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or isinstance(a, bool) != isinstance(b, bool):
            return False
        return math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or (math.isnan(a) and math.isnan(b))
    return a == b


def same_behaviour(records_a, records_b) -> bool:
    return len(records_a) == len(records_b) and all(
        len(ra) == len(rb) and all(la == lb and same(va, vb) for (la, va), (lb, vb) in zip(ra, rb))
        for ra, rb in zip(records_a, records_b))


# --- the run ----------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Outcome:
    mutant: Mutant
    verdict: str        # "killed", "survived", "equivalent", "equivalent rejected", "stillborn", "timeout"
    message: str = ""


def functions(exercise: Exercise, source: str):
    ns = define(source)
    return [ns[name] for name in exercise.fn_names]


def _replayable(value):
    """A copy of what a checker passed: tensors detached (the checkers hand over clones of leaves, which carry a
    graph and cannot be deep-copied), containers copied, the rest deep-copied."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_replayable(v) for v in value)
    return copy.deepcopy(value)


def prepare(exercise: Exercise):
    """Run the published solution through its checker with every expression recorded: (types and first values
    of its expressions, the probe, the original's behaviour)."""
    passed, message = run_checker(exercise, exercise.solution)
    if not passed:
        raise AssertionError(f"{exercise.key}: the published solution does not pass its checker: {message}")
    code, extra = instrument(exercise.solution)
    calls = []

    def recorder(f):
        @functools.wraps(f)
        def wrapper(*args):
            calls.append(args)
            return f(*args)
        return wrapper
    probe = PROBES.get(exercise.checker)
    with global_state_kept():
        ns = define(code, extra)
        if probe is None:
            ns.update({name: recorder(ns[name]) for name in exercise.fn_names})
        eval(compile(exercise.call, "<check call>", "eval"), ns)
    probe = probe or replay_probe([_replayable(args) for args in calls[:3]])
    original = behaviour(probe, functions(exercise, exercise.solution))
    raised = [rec for rec in original if rec and rec[-1][0] == "raised"]
    if raised:
        raise AssertionError(f"{exercise.key}: the published solution raised in its probe: {raised[0][-1]}")
    return extra["seen"], probe, original


def evaluate(exercise: Exercise, mutant: Mutant, probe, original) -> Outcome:
    try:
        with time_limit(TIMEOUT_S):
            try:
                fns = functions(exercise, mutant.source)
            except Exception as exc:  # noqa: BLE001
                return Outcome(mutant, "stillborn", f"{type(exc).__name__}: {exc}")
            equivalent = same_behaviour(original, behaviour(probe, fns))
            passed, message = run_checker(exercise, mutant.source)
    except Timeout:
        return Outcome(mutant, "timeout", f"no answer within {TIMEOUT_S} s (the checker has no time budget?)")
    if equivalent:
        return Outcome(mutant, "equivalent" if passed else "equivalent rejected", message)
    return Outcome(mutant, "survived" if passed else "killed", message)


def sample(found: list[Mutant], count: int, key: str) -> list[Mutant]:
    """A deterministic sample: the operator families in turn, each in the order of a hash of the mutant."""
    families: dict = {}
    for m in sorted(found, key=lambda m: hashlib.sha1((key + m.source).encode()).hexdigest()):
        families.setdefault(m.operator, []).append(m)
    chosen, groups = [], [families[f] for f in sorted(families)]
    while len(chosen) < count and any(groups):
        for group in groups:
            if group and len(chosen) < count:
                chosen.append(group.pop(0))
    return chosen


def run(only=None, full=False, notebooks=None, log=print):
    """{exercise key: (exercise, [Outcome])}, for the CI sample or (``full``) every mutant."""
    results = {}
    torch.set_num_threads(1)
    for exercise in exercises(notebooks):
        if only and exercise.checker not in only:
            continue
        start = time.perf_counter()
        seen, probe, original = prepare(exercise)
        found = mutants(exercise.solution, seen)
        chosen = found if full else sample(found, CI_SAMPLE_SLOW.get(exercise.checker, CI_SAMPLE), exercise.key)
        outcomes = [evaluate(exercise, m, probe, original) for m in chosen]
        results[exercise.key] = (exercise, outcomes, len(found))
        log(f"{exercise.key:40s} {exercise.checker:22s} {len(chosen):4d}/{len(found):4d} mutants "
            f"{time.perf_counter() - start:6.1f} s", file=sys.stderr)
    return results


def table(results) -> str:
    head = (f"{'exercise':40s} {'checker':22s} {'score':>9s} {'killed':>6s} {'changing':>8s} {'survived':>8s} "
            f"{'equiv.':>6s} {'eq. rej.':>8s} {'other':>5s} {'total':>5s}")
    lines = [head, "-" * len(head)]
    sums = [0] * 7
    for key, (exercise, outcomes, _total) in results.items():
        count = {v: sum(o.verdict == v for o in outcomes) for v in
                 ("killed", "survived", "equivalent", "equivalent rejected", "stillborn", "timeout")}
        changing = count["killed"] + count["survived"] + count["timeout"]
        score = f"{100 * count['killed'] / changing:.0f} %" if changing else "-"
        other = count["stillborn"] + count["timeout"]
        row = [count["killed"], changing, count["survived"], count["equivalent"] + count["equivalent rejected"],
               count["equivalent rejected"], other, len(outcomes)]
        sums = [a + b for a, b in zip(sums, row)]
        lines.append(f"{key:40s} {exercise.checker:22s} {score:>9s} {row[0]:6d} {row[1]:8d} {row[2]:8d} {row[3]:6d} "
                     f"{row[4]:8d} {row[5]:5d} {row[6]:5d}")
    score = f"{100 * sums[0] / sums[1]:.0f} %" if sums[1] else "-"
    lines.append("-" * len(head))
    lines.append(f"{'all':40s} {'':22s} {score:>9s} " + " ".join(f"{v:{w}d}" for v, w in zip(sums, (6, 8, 8, 6, 8, 5, 5))))
    lines.append("score = killed / behaviour-changing; equiv. = equivalent mutants (same outputs, inputs left alone and, "
                 "for training functions, same gradients on every random draw of the probe), of which 'eq. rej.' got ✗ "
                 "(a correct answer rejected); other = stillborn (does not define its functions) or timed out.")
    return "\n".join(lines)


def equivalents(results) -> str:
    """The equivalent mutants, for a reader to audit the probes' verdicts."""
    out = []
    for key, (exercise, outcomes, _) in results.items():
        for o in outcomes:
            if o.verdict.startswith("equivalent"):
                out.append(f"{key} {exercise.checker}: [{o.mutant.operator}] {o.mutant.what}\n    {o.mutant.diff}")
    return "\n".join(out)


def survivors(results) -> str:
    out = []
    for key, (exercise, outcomes, _) in results.items():
        for o in outcomes:
            if o.verdict in ("survived", "equivalent rejected", "timeout"):
                label = {"survived": "SURVIVED (behaviour-changing, got ✓)",
                         "equivalent rejected": "CORRECT REJECTED (equivalent mutant, got ✗)",
                         "timeout": "TIMEOUT"}[o.verdict]
                out.append(f"{key} check.{exercise.checker}: {label}\n    mutation: [{o.mutant.operator}] {o.mutant.what}\n"
                           f"    diff: {o.mutant.diff}\n    checker: {o.message[:300]}")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every mutant (default: the CI sample)")
    parser.add_argument("--only", nargs="*", help="only these exercises (their checkers' names)")
    parser.add_argument("--report", type=Path, default=NOTES / "mutation_report.txt" if NOTES.is_dir() else None)
    parser.add_argument("--survivors", type=Path, default=NOTES / "survivors.txt" if NOTES.is_dir() else None)
    parser.add_argument("--answers", action="store_true",
                        help="instead: grade every correct and wrong answer of tests/lessons/test_answers.py, list the failures")
    args = parser.parse_args(argv)
    if args.answers:
        text = answers_report()
        print(text)
        if args.survivors:
            previous = args.survivors.read_text(encoding="utf-8") if args.survivors.exists() else ""
            mine = previous.split(MUTANTS_END, 1)[0] + MUTANTS_END if MUTANTS_END in previous else ""
            args.survivors.write_text(mine + text, encoding="utf-8")
        return 0
    start = time.perf_counter()
    results = run(args.only, args.all)
    elapsed = time.perf_counter() - start
    text = table(results) + f"\n\n{'full run' if args.all else 'CI sample'}: {elapsed:.0f} s, " \
                            f"{time.strftime('%Y-%m-%d %H:%M')} UTC, {torch.get_num_threads()} thread(s)\n"
    print(text)
    listed = survivors(results)
    if args.report:
        args.report.write_text(text + "\nEquivalent mutants (same behaviour on every probe draw):\n"
                               + equivalents(results) + "\n", encoding="utf-8")
    if args.survivors:
        previous = args.survivors.read_text(encoding="utf-8") if args.survivors.exists() else ""
        keep = previous.split(MUTANTS_END, 1)[1] if MUTANTS_END in previous else ""
        args.survivors.write_text(f"# Mutation harness ({'full' if args.all else 'CI sample'}, {time.strftime('%H:%M')} UTC): "
                                  f"surviving mutants and rejected equivalent mutants\n{listed or '(none)'}\n{MUTANTS_END}"
                                  f"{keep}", encoding="utf-8")
    return 0


MUTANTS_END = "\n# --- end of the mutation harness's part ---\n"


def answers_report(budget_s: float = 30) -> str:
    """Every correct answer and every wrong answer of the issue's kinds (tests/lessons/test_answers.py), graded:
    the ones that fail their test, each with why (for /work/notes/survivors.txt)."""
    from tests.lessons import test_answers as A
    from tests.lessons.test_exercises import run_cell
    lines, counts = [], {"correct ok": 0, "correct rejected": 0, "wrong ok": 0, "wrong not ok": 0}
    cases = [(c, how, None, src, True) for c, how, src in A.CORRECT_CASES] + \
            [(c, kind, names, src, False) for c, kind, names, src in A.WRONG_CASES]
    for checker, what, names, source, correct in cases:
        problem = None
        with global_state_kept():
            before = A._state()
            try:
                with time_limit(budget_s):
                    result = run_cell(source)
                after = A._state()
                if correct and not result.passed:
                    problem = f"REJECTED: {result.message}"
                elif not correct and result.passed:
                    problem = f"PASSED: {result.message}"
                elif not correct and after != before:
                    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                    problem = f"GLOBAL STATE LEFT CHANGED {changed}: {result.message}"
                elif not correct and names is not None:
                    try:
                        wanted = A._mistakes(checker, names)
                    except AssertionError as exc:
                        wanted, problem = None, f"{exc}; got mistake {result.mistake!r}: {result.message}"
                    if wanted is not None and result.mistake not in wanted:
                        problem = f"NAMED {result.mistake!r}, expected one of {names}: {result.message}"
            except Timeout:
                problem = f"NO ANSWER within {budget_s} s (no time budget in the checker)"
            except BaseException as exc:  # noqa: BLE001
                problem = f"ESCAPED: {type(exc).__name__}: {exc}"
        key = ("correct" if correct else "wrong") + (" ok" if problem is None and correct else
                                                     " rejected" if correct else " ok" if problem is None else " not ok")
        counts[key] += 1
        if problem:
            lines.append(f"{'correct' if correct else 'wrong'} check.{checker} [{what}]\n    {problem[:300]}")
    head = (f"# Answers (tests/lessons/test_answers.py, {time.strftime('%H:%M')} UTC): "
            f"correct accepted {counts['correct ok']}, "
            f"rejected {counts['correct rejected']}; wrong rejected as required {counts['wrong ok']}, "
            f"not {counts['wrong not ok']}")
    return head + "\n" + "\n".join(lines) + "\n"

if __name__ == "__main__":
    sys.exit(main())
