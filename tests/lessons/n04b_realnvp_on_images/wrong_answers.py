r"""Deliberately wrong answers to the exercise of notebook 04b, one per mistake its checker names.

``WRONG[checker] = [(mistake, source), ...]``: ``source`` is run like an exercise cell (its last line is the
check call) and the checker must answer with exactly that ``mistake``. ``tests/lessons/test_exercises.py``
collects every lesson's ``wrong_answers.py``.
"""

from flowlib.lessons.grading import NO_RETURN, SHAPE
from flowlib.lessons.grading import WRONG as WRONG_VALUES
from flowlib.lessons.n04b_realnvp_on_images import check as images

_BLOCKS = "v.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)"
_SQUEEZE = """
def squeeze_image(v):
    b, c, h, w = v.shape
    {body}
check.squeeze(squeeze_image)"""


def _squeeze(body):
    return _SQUEEZE.format(body=body)


WRONG = {
    "squeeze": [
        (images.RESHAPE_ONLY, _squeeze("return v.reshape(b, 4 * c, h // 2, w // 2)")),
        (images.OFFSETS_SWAPPED,
         _squeeze("return v.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 5, 3, 2, 4).reshape(b, 4 * c, h // 2, w // 2)")),
        (images.CHANNEL_LAST,
         _squeeze("return v.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 3, 5, 1, 2, 4).reshape(b, 4 * c, h // 2, w // 2)")),
        (SHAPE, _squeeze(f"return {_BLOCKS}.reshape(b, 4 * c, h * w // 4)")),
        (WRONG_VALUES, _squeeze(f"return 2 * {_BLOCKS}.reshape(b, 4 * c, h // 2, w // 2)")),
        (NO_RETURN, _squeeze("v.reshape(b, c, h // 2, 2, w // 2, 2)")),
    ],
}
