r"""Correct answers to notebook 04b's exercise, written differently from the published solution (issue 24).

``CORRECT[checker] = [(how it differs, source), ...]``: see ``tests/lessons/test_answers.py``.
"""

CORRECT = {
    "squeeze": [
        ("a loop over the four offsets (a, b), stacked per channel", """
def squeeze_image(v):
    parts = [v[:, :, a::2, b::2] for a in range(2) for b in range(2)]   # each (B, C, H/2, W/2), index 2a + b
    return torch.stack(parts, dim=2).flatten(1, 2)                       # (B, C, 4, ...) -> channel 4c + 2a + b
check.squeeze(squeeze_image)"""),
        ("F.pixel_unshuffle, torch's own space-to-depth", """
import torch.nn.functional as F

def squeeze_image(v):
    return F.pixel_unshuffle(v, 2)
check.squeeze(squeeze_image)"""),
        ("unfold into 2x2 patches", """
def squeeze_image(v):
    b, c, h, w = v.shape
    patches = v.unfold(2, 2, 2).unfold(3, 2, 2)                          # (B, C, H/2, W/2, 2, 2): [a, b]
    return patches.permute(0, 1, 4, 5, 2, 3).reshape(b, 4 * c, h // 2, w // 2)
check.squeeze(squeeze_image)"""),
    ],
}
