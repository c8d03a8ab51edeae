"""The playground (notebook 08) without a kernel: the training session, and the page's widgets driven
on an asyncio loop of the test's own, as the kernel's loop drives them."""

from __future__ import annotations

import asyncio
import hashlib
import math

import pytest
import torch

from flowlib import TARGETS, TOYS
from flowlib.lessons.n08_playground.session import MODELS, Session, Settings, word_data
from flowlib.lessons.n08_playground.views import Playground


def _params(session):
    return [p.detach().clone() for p in session.params]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_word_data_fills_the_letters():
    x = word_data("flow", 3000, seed=1)
    assert x.shape == (3000, 2) and x.dtype == torch.float32 and bool(torch.isfinite(x).all())
    assert -3.6 <= float(x[:, 0].min()) and float(x[:, 0].max()) <= 3.6 and float(x[:, 1].abs().max()) <= 2.1
    # four letters side by side: points from the left end to the right end, with gaps between letters
    hist = torch.histc(x[:, 0], bins=70, min=-3.5, max=3.5)
    assert int((hist == 0).sum()) >= 2
    assert torch.equal(x, word_data("flow", 3000, seed=1))
    with pytest.raises(ValueError, match="non-empty word"):
        word_data("  ", 10)


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_learns(model):
    data = "banana" if model == "IAF" else "eight_gaussians"
    session = Session(model=model, data=data, layers=3, hidden=32, lr=5e-3)
    assert session.floor is not None
    assert session.step(150) == 150 and len(session.losses) == 150
    first, last = sum(session.losses[:10]) / 10, sum(session.losses[-10:]) / 10
    assert last < first - 0.3, (model, first, last)
    assert last > session.floor - 0.5  # nothing beats the floor (up to mini-batch noise)


def test_floors_are_the_known_ones():
    assert Session(data="checkerboard").floor == pytest.approx(math.log(8))
    assert Session(data="moons").floor is None
    # banana's target is normalized in closed form: log Z = log(2π · 1.5 · 0.5)
    assert Session(model="IAF", data="banana").floor == pytest.approx(-math.log(2 * math.pi * 0.75), abs=1e-4)


def test_pause_step_reset_and_switch():
    session = Session(layers=2, hidden=16)
    start = _params(session)
    session.step(5)
    assert len(session.losses) == 5 and not _same(start, _params(session))
    session.reset()
    assert session.losses == [] and _same(start, _params(session))  # reset: the same fresh model (seeded)
    session.step(3)
    assert session.configure(lr=1e-2, batch_size=64) is False  # optimizer settings: the model stays
    assert len(session.losses) == 3 and session.optimizer.param_groups[0]["lr"] == 1e-2
    assert session.configure(model="NICE") is True and session.losses == []  # a new model
    assert {type(layer).__name__ for layer in session.flow.layers} == {"Scaling", "AdditiveCoupling"}
    assert session.configure(data="word", word="hi") is True and session.data.shape == (4000, 2)
    assert session.configure(model="IAF", data="wavy") is True and session.data is None
    with pytest.raises(ValueError, match="data for IAF must be one of"):
        session.configure(data="moons")
    assert session.settings.model == "IAF" and session.settings.data == "wavy"  # a refused change changes nothing
    with pytest.raises(ValueError, match="model must be one of"):
        Settings(model="Glow").check()


def test_nan_stops_and_keeps_the_last_finite_model():
    session = Session(layers=2, hidden=16)
    session.step(4)
    good = _params(session)  # the parameters of step 5, whose loss is the last finite one
    session.step(1)
    with torch.no_grad():
        session.params[0].fill_(float("nan"))
    assert session.step(10) == 0
    assert session.stopped and "became nan" in session.message and "smaller learning rate" in session.message
    assert _same(good, _params(session)) and len(session.losses) == 5
    assert session.step(10) == 0  # stays stopped until resumed
    session.resume()
    assert session.step(5) == 5 and session.message == ""


def test_divergence_stops_and_keeps_the_best_checkpoint():
    session = Session(layers=2, hidden=16, lr=3.0)
    session.step(500)
    assert session.stopped and session.message, session.losses[-5:]
    assert all(bool(torch.isfinite(p).all()) for p in session.params)
    with torch.no_grad():
        kept = float(-session.flow.log_prob(session.data[:256]).mean())
    assert math.isfinite(kept)
    assert kept < session.losses[0] + 1  # not the blown-up model


@pytest.mark.slow
def test_the_default_run_on_the_checkerboard_does_not_stop_itself():
    """Issue 30: RealNVP on the checkerboard at the page's default learning rate stopped at step 5173 ("the loss
    diverged (to 43.4 nats)"), one bad mini-batch among losses of 3.6, under the old rule (the mean of the
    last five losses 3 nats above the best). The trainer's median rule lets it train on. About a minute."""
    # In the browser the lr slider (log10 steps of 0.25) snaps the default 3e-3 to 10^-2.5 = 0.00316, the
    # rate of the report; with it, this session meets the report's bad batch (43.4 nats at step 5173).
    session = Session(data="checkerboard", lr=10 ** -2.5)
    assert session.settings.model == "RealNVP" and session.step(5500) == 5500, session.message
    assert not session.stopped and max(session.losses) > 30  # the bad batch of the report came, and passed
    assert sum(session.losses[-100:]) / 100 < 3.0


def test_the_stop_message_gives_the_learning_rate_as_the_slider_shows_it():
    session = Session(layers=2, hidden=16, lr=10 ** -2.5)
    session.step(2)
    with torch.no_grad():
        session.params[0].fill_(float("nan"))
    session.step(1)
    assert session.stopped and "try a smaller learning rate than 3e-3, or Reset" in session.message, session.message


def _run(coro):
    return asyncio.run(coro)


def test_page_trains_pauses_and_switches():
    app = Playground(Settings(layers=2, hidden=16))
    first = hashlib.sha1(app.image.value).hexdigest()
    assert app.frames == 1 and app.image.value[:4] == b"\x89PNG"

    async def scenario():
        app.train_button.click()
        assert app.running and app.train_button.disabled and not app.pause_button.disabled
        await asyncio.sleep(2.0)
        steps, frames = len(app.session.losses), app.frames
        assert steps > 10 and frames >= 3, (steps, frames)
        app.model.value = "MAF"  # switching while running: a fresh model, training goes on
        assert app.session.settings.model == "MAF" and len(app.session.losses) < steps
        await asyncio.sleep(1.0)
        assert app.running and len(app.session.losses) > 0
        app.pause_button.click()
        await app.task
        assert not app.running and "paused" in app.status.value
        stopped_at, frames = len(app.session.losses), app.frames
        await asyncio.sleep(0.5)
        assert len(app.session.losses) == stopped_at and app.frames == frames

    _run(scenario())
    assert hashlib.sha1(app.image.value).hexdigest() != first
    before = len(app.session.losses)
    app.step_button.click()
    assert len(app.session.losses) == before + Playground.STEP
    app.layer.value = 0  # the transport slider redraws
    frames = app.frames
    app.layer.value = 1
    assert app.frames == frames + 1
    app.reset_button.click()
    assert app.session.losses == []
    app.model.value = "IAF"
    assert list(app.data.options) == list(TARGETS) and app.session.settings.data == TARGETS[0]
    app.model.value = "NICE"
    assert list(app.data.options) == [*TOYS, "word"]
    app.data.value, app.word.value = "word", ""
    assert "non-empty word" in app.status.value and app.session.settings.word == "flow"
    assert app.session.settings.data == "word"  # the data change before it did apply
    app.word.value = "ab"
    assert app.session.settings.word == "ab" and "non-empty" not in app.status.value


def test_page_stops_on_divergence_with_a_message():
    app = Playground(Settings(layers=2, hidden=16))
    app.lr.value = 1.0

    async def scenario():
        app.train()
        for _ in range(200):
            await asyncio.sleep(0.1)
            if not app.running:
                break
        await app.task

    _run(scenario())
    assert not app.running and "Stopped at step" in app.status.value
    assert all(bool(torch.isfinite(p).all()) for p in app.session.params)
