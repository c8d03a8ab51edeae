r"""Settings that several notebooks share, so that their runs match (one place to change them).

Notebooks 03 (NICE) and 04 (RealNVP) train their 2-D toys and their 8x8 digits with the same budgets
and draw the toys in the same box, so that the two models compare on equal terms.
"""

__all__ = ["TRAIN_STEPS", "TOY_LAYERS", "TOY_HIDDEN", "TOY_LR", "BATCH_SIZE", "TOY_BOUNDS",
           "DIGITS_LAYERS", "DIGITS_HIDDEN", "DIGITS_STEPS", "DIGITS_BATCH", "DIGITS_LR"]

TRAIN_STEPS = 1500  # the 2-D toys' training budget: notebook 03's TRAINING slider runs over it
TOY_LAYERS, TOY_HIDDEN, TOY_LR = 4, (64, 64), 3e-3  # the 2-D toys' NICE and RealNVP (couplings, widths)
BATCH_SIZE = 256
TOY_BOUNDS = (-4.0, 4.0, -4.0, 4.0)  # where the 2-D toys live: the density heat maps' box
# The 8x8 digits' budget (NICE and RealNVP alike): small, but each model reaches its held-out optimum
# about there; larger networks or longer runs overfit the 1500 training images.
DIGITS_LAYERS, DIGITS_HIDDEN, DIGITS_STEPS, DIGITS_BATCH, DIGITS_LR = 4, (64, 64), 400, 128, 1e-3
