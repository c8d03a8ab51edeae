r"""Notebook 08's playground: the picture of a training ``Session`` and the widgets that drive it.

``PlaygroundView`` draws four panels for the current weights: the data (or the target density)
against samples of the model, the learned density p_θ, the transport of a fixed batch z ~ N(0, I)
after layer k of K, and the loss with its floor (the data's entropy H(p), or -log Z of a target)
where it is known. It is a ``View``: axes, ticks and the data are rendered once per stage.

``Playground`` is the page: controls, Train / Pause / Step / Reset, the layer slider, the image and a
status line. How training stays responsive: the kernel (ipykernel, also under Voilà) runs an asyncio
event loop, and it reads widget messages (a click, a slider move) between the callbacks of that loop.
Train starts a task on that loop that trains in chunks of about ``CHUNK_S`` seconds and awaits between
them, so every control is handled within a chunk; no thread is started, and widgets are only touched
from the loop, as ipywidgets requires. A frame is drawn when ``max(MIN_FRAME_S, FRAME_RATIO x the median
time of the last frames)`` has passed, so the display takes at most about 1 / (1 + FRAME_RATIO) = 20 % of the time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import numpy as np
import torch

from ... import one_thread
from ...datasets import TARGETS, TOYS, target_log_prob
from ..view import View, clamped_index
from .session import BOUNDS, MODELS, WORD, Session, Settings

__all__ = ["PlaygroundView", "Playground"]

CHUNK_S = 0.1  # training between two looks at the widgets' messages
MIN_FRAME_S = 0.2  # at most 5 frames a second
FRAME_RATIO = 4  # training time at least 4 x the drawing time: the display costs <= 20 %, under the 25 % goal
GRID = 48  # density grid per side (drawn with bilinear smoothing): log p_θ costs time per point
N_SHOWN = 600  # samples drawn, and points transported


class PlaygroundView(View):
    r"""The four panels of a ``Session``; ``update(session, layer=K)`` draws its current weights."""

    def __init__(self):
        self.fig = self.figure(figsize=(13, 3.4), dpi=72)
        axes = self.fig.subplots(1, 4)
        self.fig.subplots_adjust(left=0.03, right=0.99, bottom=0.12, top=0.88, wspace=0.22)
        self.ax_data, self.ax_density, self.ax_layer, self.ax_loss = axes
        for ax in axes[:3]:
            ax.set(xlim=BOUNDS[:2], ylim=BOUNDS[2:], aspect="equal")
            ax.set_xticks([-4, 0, 4])
            ax.set_yticks([-4, 0, 4])
        self.ax_density.set_title(r"learned density $p_\theta(x)$")
        self.data_image = self.ax_data.imshow(np.zeros((2, 2)), extent=BOUNDS, origin="lower", cmap="Greys", vmin=0)
        self.data_points = self.ax_data.scatter([], [], s=1, c="0.6", rasterized=True)
        self.samples = self.dynamic(self.ax_data.scatter([], [], s=2, c="C1"))
        self.density = self.dynamic(self.ax_density.imshow(np.zeros((GRID, GRID)), extent=BOUNDS, origin="lower",
                                                           cmap="viridis", interpolation="bilinear"))
        g = torch.Generator().manual_seed(1)
        self.z = torch.randn(N_SHOWN, 2, generator=g)
        hue = (torch.atan2(self.z[:, 1], self.z[:, 0]).numpy() / (2 * np.pi)) % 1.0  # colour by the angle of z
        self.layer_points = self.dynamic(self.ax_layer.scatter(*self.z.numpy().T, s=2, c=hue, cmap="hsv", vmin=0, vmax=1))
        self.layer_title = self.dynamic(self.ax_layer.set_title(""))
        # The loss panel's axes are fixed at [0, 1]²: the curve is scaled into them and its range is
        # written by dynamic texts. Axes that follow the curve would re-render the whole stage (about
        # 1 s on the loaded machine) whenever their limits change.
        self.ax_loss.set(xlim=(0, 1), ylim=(0, 1), xticks=[], yticks=[])
        self.loss_line = self.dynamic(self.ax_loss.plot([], [], lw=1, color="C0")[0])
        self.floor_line = self.dynamic(self.ax_loss.plot([0, 1], [0, 0], color="C3", ls="--", lw=1)[0])
        corner = dict(transform=self.ax_loss.transAxes, fontsize=9)
        self.loss_top = self.dynamic(self.ax_loss.text(0.01, 0.99, "", ha="left", va="top", **corner))
        self.loss_bottom = self.dynamic(self.ax_loss.text(0.01, 0.01, "", ha="left", va="bottom", **corner))
        self.loss_text = self.dynamic(self.ax_loss.text(0.97, 0.95, "", ha="right", va="top", **corner))
        self._stage = None
        self.restaged = True  # whether the last update changed the stage (that frame renders it in full)
        self._samples_z = torch.randn(N_SHOWN, 2, generator=g)

    def _set_stage(self, session: Session) -> None:
        r"""The data or target panel and the loss panel's title: rendered again only when the data change."""
        s = session.settings
        key = (s.model == "IAF", s.data, s.word if s.data == WORD else None, s.seed, session.floor is None)
        self.restaged = key != self._stage
        if not self.restaged:
            return
        if s.model == "IAF":
            from ...plotting import grid_points

            points, _, _ = grid_points(BOUNDS, 120)
            image = target_log_prob(s.data, points).exp().reshape(120, 120).numpy()
            self.data_image.set_data(image)
            self.data_image.set_clim(0, image.max())
            self.data_points.set_offsets(np.zeros((0, 2)))
            self.ax_data.set_title(f"target {s.data} vs samples")
        else:
            self.data_image.set_data(np.zeros((2, 2)))
            self.data_points.set_offsets(session.data[:2000].numpy())
            self.ax_data.set_title(f"data {s.word if s.data == WORD else s.data!r} vs samples")
        # short enough for the panel (tests/lessons/n08_playground: every title inside the figure)
        self.ax_loss.set_title("KL − log Z (nats), floor −log Z" if s.model == "IAF" else
                               "NLL (nats), floor H(p)" if session.floor is not None else "NLL (nats)")
        self._stage = key
        self.restage()

    @torch.no_grad()
    def update(self, session: Session | None = None, layer: int | None = None) -> None:
        if session is None:
            return
        self._set_stage(session)
        flow = session.flow
        x = flow.forward(self._samples_z)[0].numpy()
        self.samples.set_offsets(np.nan_to_num(x, nan=99.0))
        from ...plotting import grid_points

        points, _, _ = grid_points(BOUNDS, GRID)
        density = flow.log_prob(points).exp().reshape(GRID, GRID).numpy()
        density = np.nan_to_num(density, nan=0.0, posinf=0.0)
        self.density.set_data(density)
        self.density.set_clim(0, max(float(density.max()), 1e-12))
        steps = flow.forward_steps(self.z)
        k = len(steps) - 1 if layer is None else clamped_index(layer, len(steps))
        self.layer_points.set_offsets(np.nan_to_num(steps[k].numpy(), nan=99.0))
        self.layer_title.set_text(f"after layer {k} of {len(steps) - 1}" if k else "z ~ N(0, I): layer 0")
        self._loss_panel(session.losses, session.floor)

    def _loss_panel(self, losses: list[float], floor: float | None) -> None:
        stride = max(1, len(losses) // 1000)  # at most ~1000 vertices
        y = np.asarray(losses[::stride], dtype=float)
        known = [v for v in (floor, y.min() if len(y) else None) if v is not None]
        low = min(known, default=0.0)
        high = max(float(y[min(5, len(y) - 1):].max()) if len(y) else low + 1.0, low + 0.5)  # past the first steps
        span = high - low
        low, high = low - 0.08 * span, high + 0.08 * span

        def scaled(v):
            return (v - low) / (high - low)

        self.loss_line.set_data(np.arange(len(y)) * stride / max(len(losses) - 1, 1), scaled(y).clip(-0.05, 1.05))
        self.floor_line.set_visible(floor is not None)
        self.floor_line.set_ydata([scaled(floor or 0.0)] * 2)
        self.loss_top.set_text(f"{high:.2f}")
        self.loss_bottom.set_text(f"{low:.2f}")
        last = np.mean(losses[-20:]) if losses else float("nan")
        floor_text = "" if floor is None else f"\nfloor {floor:.2f}"
        self.loss_text.set_text(f"step {len(losses)}" + (f"\nloss {last:.2f}" if losses else "") + floor_text)


class Playground:
    r"""The playground page: ``Playground().widget`` is an ipywidgets box; see the module docstring.

    ``session`` is the ``Session`` trained; ``frames`` counts the images shown, ``frame_times`` holds
    the seconds each took (update and PNG), ``blit_times`` those of the frames that kept the stage.
    Methods mirror the buttons: ``train()`` (needs a running asyncio loop: the kernel's), ``pause()``,
    ``step()``, ``reset()``.
    """

    STEP = 10  # steps per click of Step

    def __init__(self, settings: Settings | None = None):
        import ipywidgets as w

        self.session = Session(settings)
        s = self.session.settings
        self.view = PlaygroundView()
        self.running, self.task = False, None
        self.frames, self.frame_times, self.blit_times = 0, [], []
        self._quiet = False  # set while the code itself changes the controls
        self.notice = ""  # why the last change of a control was refused (an empty word): kept on the status line
        self.model = w.Dropdown(options=list(MODELS), value=s.model, description="model")
        self.data = w.Dropdown(options=self._data_options(s.model), value=s.data, description="data")
        self.word = w.Text(value=s.word, description="word", continuous_update=False)
        self.layers = w.IntSlider(value=s.layers, min=1, max=8, description="layers")
        self.hidden = w.Dropdown(options=[8, 16, 32, 64, 128], value=s.hidden, description="hidden")
        self.lr = w.FloatLogSlider(value=s.lr, base=10, min=-4, max=0, step=0.25, description="lr", readout_format=".0e")
        self.batch = w.Dropdown(options=[32, 64, 128, 256, 512], value=s.batch_size, description="batch")
        self.train_button = w.Button(description="Train", button_style="success", icon="play")
        self.pause_button = w.Button(description="Pause", icon="pause", disabled=True)
        self.step_button = w.Button(description=f"Step ×{self.STEP}", icon="step-forward")
        self.reset_button = w.Button(description="Reset", icon="refresh")
        self.layer = w.IntSlider(value=s.layers + self._extra_layers(), min=0, max=s.layers + self._extra_layers(),
                                 description="show layer")
        self.image = w.Image(format="png")
        self.status = w.HTML()
        for control in (self.model, self.data, self.word, self.layers, self.hidden, self.lr, self.batch):
            control.observe(self._on_settings, names="value")
        self.layer.observe(lambda _: self.redraw(), names="value")
        self.train_button.on_click(lambda _: self.train())
        self.pause_button.on_click(lambda _: self.pause())
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.widget = w.VBox([
            w.HBox([self.model, self.data, self.word]),
            w.HBox([self.layers, self.hidden, self.lr, self.batch]),
            w.HBox([self.train_button, self.pause_button, self.step_button, self.reset_button, self.layer]),
            self.image, self.status])
        self.widget.add_class("flowlib-playground")
        self.redraw()

    @staticmethod
    def _data_options(model: str) -> list[str]:
        return list(TARGETS) if model == "IAF" else [*TOYS, WORD]

    def _extra_layers(self) -> int:
        """Layers of the flow beyond the chosen ones (NICE's final Scaling, the MAF's and IAF's Reverse)."""
        return len(self.session.flow.layers) - self.session.settings.layers

    # --- the buttons --------------------------------------------------------------------------------

    def train(self) -> None:
        r"""Start training on the running event loop (the kernel's); a no-op while it runs."""
        if self.running:
            return
        self.session.resume()
        self.running = True
        self._buttons()
        self.task = asyncio.ensure_future(self._train())

    def pause(self) -> None:
        r"""Stop after the current chunk (at most ``CHUNK_S``); the model is kept."""
        self.running = False
        self._buttons()

    def step(self) -> None:
        r"""``STEP`` training steps, then a frame (paused or not)."""
        self.session.resume()
        self.session.step(self.STEP)
        self.redraw()

    def reset(self) -> None:
        r"""A fresh model for the current settings; training goes on if it was running."""
        self.session.reset()
        self.redraw()

    # --- what runs -------------------------------------------------------------------------------

    async def _train(self) -> None:
        last_frame = -np.inf
        try:
            while self.running:
                start = time.perf_counter()
                while self.running and time.perf_counter() - start < CHUNK_S and not self.session.stopped:
                    self.session.step(5)
                if self.session.stopped:
                    self.running = False
                now = time.perf_counter()
                # the median of the last blitted frames: a new stage's slow frame must not stall the next ones
                frame_s = float(np.median(self.blit_times[-5:] or [0.0]))
                if not self.running or now - last_frame >= max(MIN_FRAME_S, FRAME_RATIO * frame_s):
                    self.redraw()
                    last_frame = time.perf_counter()
                await asyncio.sleep(0.005)  # the loop reads the widgets' messages here
        except Exception as error:  # noqa: BLE001  shown on the page: a task's exception would be lost
            self.session.stopped = True
            self.session.message = f"Training failed: {type(error).__name__}: {error}"
        finally:
            self.running = False
            self._buttons()
            try:
                self.redraw()  # the image of the weights training stopped at
            except Exception:  # noqa: BLE001  the message above says why
                self._say()

    def _on_settings(self, change) -> None:
        if self._quiet:
            return
        try:
            if change["owner"] is self.model:
                with self._quietly():
                    options = self._data_options(self.model.value)
                    if list(self.data.options) != options:
                        self.data.options = options
                        self.data.value = options[0]
            self.session.configure(model=self.model.value, data=self.data.value, word=self.word.value,
                                   layers=self.layers.value, hidden=self.hidden.value, lr=self.lr.value,
                                   batch_size=self.batch.value)
        except ValueError as error:  # an empty word, say: said on the page, the model stays
            self.notice = str(error)  # shown above the status line until a setting is valid again
            self._say()
            return
        self.notice = ""
        with self._quietly():
            top = len(self.session.flow.layers)
            if self.layer.max != top:
                self.layer.max = top
                self.layer.value = top
        self.redraw()

    @contextlib.contextmanager
    def _quietly(self):
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def _buttons(self) -> None:
        self.train_button.disabled = self.running
        self.pause_button.disabled = not self.running

    def redraw(self) -> None:
        r"""Draw the current weights into the image, and the status line."""
        start = time.perf_counter()
        with one_thread():
            self.view.update(session=self.session, layer=self.layer.value)
            self.image.value = self.view.png()
        self.frames += 1
        self.frame_times.append(time.perf_counter() - start)
        if not self.view.restaged:
            self.blit_times.append(self.frame_times[-1])
        self._say()

    def _say(self) -> None:
        s = self.session
        if s.message:
            line = f"<b style='color:#b00'>{s.message}</b>"
        else:
            state = "training" if self.running else "paused"
            loss = f", loss {sum(s.losses[-20:]) / len(s.losses[-20:]):.2f}" if s.losses else ""  # the last 20 steps
            line = f"{s.settings.model} on {s.settings.data}: {state}, step {len(s.losses)}{loss}"
        # a refused setting stays said while training redraws the status line (not overwritten at the next frame)
        self.status.value = f"<b style='color:#b00'>{self.notice}</b><br>{line}" if self.notice else line
