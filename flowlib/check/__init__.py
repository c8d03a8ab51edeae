r"""Exercise checkers: ``from flowlib import check``, then ``check.additive_coupling(my_forward, my_inverse)``.

One function per exercise of the notebooks. Each grades the student's function(s) in float64 on random
inputs and random weights, against flowlib (and autograd), and returns a ``Result``: ``passed`` (bool),
``message`` (one or two sentences, also its repr, so a notebook cell ending with the call shows it) and
``mistake`` (which typical mistake was recognised, or None). It never raises and never shows a torch
stack trace: an exception in the student's code is reported with the line of their function; a blank
scaffold (a body of ``...``, ``pass`` or ``raise NotImplementedError``) gives "Not solved yet: ...".

How to add a checker (each lesson's checkers live in its folder, ``flowlib/lessons/nNN_<notebook>/check.py``):

1. In that ``check.py`` write ``@exercise(MISTAKE, ...)`` above ``def name(student_fn, ...)``, listing the
   named mistakes it recognises (constants of ``flowlib.lessons.grading``, or strings of the module's own).
2. In its body: draw inputs from ``generator(seed)``, at several shapes and parameter values (the first draw
   is graded with the named mistakes, the others catch what is hard-coded); compute the reference first;
   call the student's code only through ``call(fn, *args, signature="forward(z, m, d)")``, which hands it
   copies and names an input changed in place, a global torch setting left changed, SystemExit or
   KeyboardInterrupt, an exception (with the student's line) and the time budget run out; check what comes
   back with ``pair``/``output`` (type, shape, (B, 1) for (B,), dtype, finiteness); compare with
   ``compare(got, want, name, [(MISTAKE, what that mistake returns, message, hint), ...], hint=...)``, or
   ``fail(MISTAKE, message, hint)`` for any other test; for a function meant for training, make the inputs
   with ``leaf`` and add ``compare_gradients(got, want, name, [("z", [z]), ("the parameters of m", params)])``
   (run once every value has passed); return ``passed("what was verified")``. The ``exercise`` decorator
   gives the whole check a time budget, seeds torch and puts back the notebook's random state and settings.
3. Re-export it here, and give each named mistake a wrong answer in the lesson's
   ``tests/lessons/nNN_<notebook>/wrong_answers.py`` (``tests/lessons/test_exercises.py`` collects them all
   and runs every exercise cell).

In a notebook, an exercise is a code cell tagged ``exercise`` (the scaffold, ending with the check call)
followed by a markdown cell tagged ``solution`` holding ``<details><summary>Solution</summary>`` and one
fenced python block; the tests run that very block through the checker. ``scripts/strip_solutions.py``
writes copies of the notebooks without the cells tagged ``solution`` (solutions, and the folded hints).
"""

from ..lessons.grading import Result
from ..lessons.n01_change_of_variables.check import bend_log_prob, sample_exponential, training_loop
from ..lessons.n02_jacobians.check import bend_jacobian, composition, triangular_log_det
from ..lessons.n03_nice.check import additive_coupling, log_prob, scaling
from ..lessons.n04_realnvp.check import affine_forward, affine_inverse, alternating_stack
from ..lessons.n04b_realnvp_on_images.check import squeeze
from ..lessons.n05_maf.check import made_masks, maf_forward, maf_inverse
from ..lessons.n06_iaf.check import iaf_forward, iaf_inverse, sample_with_log_prob
from ..lessons.n07_best_of_both_worlds.check import distillation_loss, forward_kl, kl_estimate
from ..lessons.n08_playground.check import entropy_estimate

__all__ = [
    "Result",
    "sample_exponential", "bend_log_prob", "training_loop",                  # notebook 01
    "bend_jacobian", "triangular_log_det", "composition",                   # notebook 02
    "additive_coupling", "scaling", "log_prob",                             # notebook 03
    "affine_forward", "affine_inverse", "alternating_stack",                # notebook 04
    "squeeze",                                                              # notebook 04b
    "made_masks", "maf_inverse", "maf_forward",                             # notebook 05
    "iaf_forward", "iaf_inverse", "sample_with_log_prob",                   # notebook 06
    "distillation_loss", "kl_estimate", "forward_kl",                       # notebook 07
    "entropy_estimate",                                                     # notebook 08
]
