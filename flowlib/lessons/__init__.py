r"""The lessons: one folder per notebook, and the machinery they share.

``flowlib/lessons/nNN_<stem>/`` belongs to ``notebooks/NN_<stem>.ipynb``: ``views.py`` (its slider views
and ``Demo``s), ``maths.py`` (the maths it uses but does not show, if any), ``check.py`` (its exercise
checkers, which students reach as ``from flowlib import check``), and ``__init__.py``, which re-exports what
the notebook imports in its one line ``from flowlib.lessons.nNN_<stem> import ...``.

Beside them, the machinery every lesson may use: ``demo`` (``Demo``), ``view`` (``View``), ``grading``
(the checkers' core) and ``course`` (the budgets that notebooks 03 and 04 share). A lesson imports the
library (``flowlib``'s public names) and this machinery, never another lesson.
"""
