r"""The grading core's guards (``flowlib.lessons.grading``), tested on their own: the time budget by SIGALRM and by
its trace fallback off the main thread, an outer timer kept, the global settings restored and named, the student's
inputs handed over as copies, the line of a decorated function, SystemExit as a sentence."""

from __future__ import annotations

import signal
import threading
import time

import pytest
import torch

from flowlib import check
from flowlib.lessons import grading


def _endless(z, s):
    while True:
        pass


def _scaling_forward(z, s):
    return z * torch.exp(s), s.sum().expand(len(z))


def _scaling_inverse(x, s):
    return x * torch.exp(-s), (-s.sum()).expand(len(x))


def test_a_runaway_function_is_stopped_within_its_budget_in_the_main_thread():
    start = time.monotonic()
    with grading.time_budget(1):
        result = check.scaling(_endless, _scaling_inverse)
    assert result.mistake == grading.OUT_OF_TIME and "time budget of 1 s" in result.message
    assert "of _endless (`" in result.message and time.monotonic() - start < 5


def test_a_runaway_function_is_stopped_off_the_main_thread_too():
    results = []
    def grade():
        with grading.time_budget(1):
            results.append(check.scaling(_endless, _scaling_inverse))
    thread = threading.Thread(target=grade)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and results[0].mistake == grading.OUT_OF_TIME


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="POSIX timers")
def test_an_outer_timer_is_given_back_what_is_left_of_it():
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        assert check.scaling(_scaling_forward, _scaling_inverse).passed
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 20 < left <= 30 and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_global_settings_are_restored_and_named():
    def leaks(z, s):
        torch.set_grad_enabled(False)
        torch.set_default_dtype(torch.float64)
        return _scaling_forward(z, s)
    result = check.scaling(leaks, _scaling_inverse)
    assert result.mistake == grading.GLOBAL_STATE and "set_grad_enabled(False)" in result.message
    assert "set_default_dtype(torch.float64)" in result.message
    assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32


def test_the_student_gets_copies_and_an_input_changed_in_place_is_named():
    def in_place(z, s):
        return z.mul_(torch.exp(s)), s.sum().expand(len(z))
    result = check.scaling(in_place, _scaling_inverse)
    assert result.mistake == grading.INPUT_CHANGED and "changed its input z in place" in result.message


def test_an_error_in_a_decorated_function_names_the_students_line_and_sys_exit_is_a_sentence():
    @torch.no_grad()
    def decorated(z, s):
        z = z * torch.exp(s)
        raise ValueError("mine")
    result = check.scaling(decorated, _scaling_inverse)
    assert result.mistake == grading.RAISED and "on line 3 of decorated (`raise ValueError" in result.message

    def leaves(z, s):
        raise SystemExit(1)
    result = check.scaling(leaves, _scaling_inverse)
    assert result.mistake == grading.ESCAPED and "sys.exit()" in result.message


def test_a_gradient_cut_is_named():
    def detached(z, s):
        return (z * torch.exp(s)).detach(), s.sum().expand(len(z))
    result = check.scaling(detached, _scaling_inverse)
    assert result.mistake == grading.NO_GRADIENT and not result.passed
