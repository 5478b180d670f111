"""The river lab, the gallery and the worker thread, without pygame."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import procgen
from procgen.evaluate.likelihood import HeldOutNLL
from procgen.play import gallery
from procgen.play.gallery import GalleryState, Picture
from procgen.play.rivers_lab import RiverLabState, sinuosity
from procgen.play.worker import Done, Job, Worker


def settle(state) -> int:
    """Run every job the state asks for, here and now, as the worker would; how many ran."""
    count = 0
    while jobs := state.jobs():
        for job in jobs:
            try:
                state.deliver(Done(job.key, value=job.run()))
            except procgen.ProcgenError as exc:
                state.deliver(Done(job.key, error=exc))
            count += 1
    return count


def test_worker_runs_jobs_reports_errors_and_keeps_the_newest_per_slot() -> None:
    worker = Worker()
    gate = threading.Event()
    ran: list[str] = []
    try:
        worker.submit(Job("a", "first", lambda: gate.wait(5)))  # holds the thread
        worker.submit(Job("b", "old", lambda: ran.append("old")))
        worker.submit(Job("b", "new", lambda: ran.append("new") or 7, label="newest"))
        worker.submit(Job("c", "bad", lambda: 1 / 0))
        assert worker.busy
        gate.set()
        assert worker.wait_idle(10)
        done = {d.key: d for d in worker.poll()}
        assert ran == ["new"] and set(done) == {"first", "new", "bad"}
        assert done["new"].value == 7 and isinstance(done["bad"].error, ZeroDivisionError)
        assert not worker.busy and worker.poll() == []
    finally:
        assert worker.stop(5)


def lab(**kw) -> RiverLabState:
    state = RiverLabState(3, ["river/coinflip", "river/meander"], ["river/gan", "river/gru"], **kw)
    settle(state)
    return state


def test_river_lab_draws_both_sides_with_statistics() -> None:
    state = lab()
    left, right = state.shown(0), state.shown(1)
    assert left.path == procgen.get("river/coinflip").generate(3)
    assert right.path == procgen.get("river/gan").generate(3)
    assert left.sinuosity == pytest.approx(sinuosity(left.path)) and left.sinuosity > 1
    assert isinstance(state.nll(0), HeldOutNLL) and state.nll(1) is None  # the GAN has no density
    lines = state.side_lines(0) + state.side_lines(1)
    assert any("sinuosity" in line for line in lines) and any("no turn density" in line for line in lines)


def test_river_lab_keys_resample_switch_models_and_change_parameters() -> None:
    state = lab()
    state.handle("next-seed")
    settle(state)
    assert state.seed == 4 and state.shown(0).path == procgen.get("river/coinflip").generate(4)
    state.handle("right-model")
    settle(state)
    assert state.active == 1 and state.shown(1).generator == "river/gru"
    assert state.nll(1).nats_per_step < state.nll(0).nats_per_step  # the GRU beats the coin flip on held-out rivers
    state.handle("switch-side")
    state.handle("next-param")  # steps -> turn_angle
    state.handle("increase")
    settle(state)
    assert state.shown(0).config.turn_angle == 20.0
    assert state.shown(0).path == procgen.get("river/coinflip", turn_angle=20.0).generate(4)
    state.handle("next-param")
    for _ in range(12):  # p_left 0.5 -> 1.0, then the bound stops it with a message
        state.handle("increase")
        settle(state)
    assert state.shown(0).config.p_left == 1.0 and "p_left" in state.message
    state.handle("reset-params")
    assert settle(state) == 0  # the defaults were drawn before: served from the cache


def test_gallery_pages_selection_open_and_export(tmp_path) -> None:
    made: list[int] = []

    def make(name: str, seed: int) -> Picture:
        made.append(seed)
        content = procgen.get(name, steps=8).generate(seed)
        return Picture(content, np.zeros((4, 4, 3), np.uint8), np.zeros((8, 8, 3), np.uint8))

    state = GalleryState(10, ["river/coinflip", "river/meander"], out_dir=tmp_path, make=make)
    settle(state)
    assert made == list(range(10, 10 + gallery.PER_PAGE)) and not state.generating
    for action in ("right", "down", "down", "down", "left"):
        state.handle(action)
    assert state.selected == gallery.PER_PAGE - 1 - 1  # clamped to the last row, then one left
    state.handle("open")
    state.handle("export")
    settle(state)
    path = tmp_path / f"river-coinflip-{state.seed_at(state.selected)}.png"
    assert path.is_file() and state.message == f"exported {path}"
    state.handle("back")
    assert not state.opened and not state.done
    state.handle("next-page")
    settle(state)
    assert state.start == 10 + gallery.PER_PAGE and len(made) == 2 * gallery.PER_PAGE
    state.handle("back")
    assert state.done  # Esc on the grid quits


def test_gallery_clicks_find_their_cell() -> None:
    screen = (1280, 720)
    for cell in (0, 7, gallery.PER_PAGE - 1):
        x, y, w, h = gallery.cell_rect(cell, screen)
        assert gallery.cell_at((x + w // 2, y + h // 2), screen) == cell
        assert y + h + 20 < screen[1] - 24  # the caption clears the hint bar
    assert gallery.cell_at((2, 2), screen) is None
    state = GalleryState(0, ["river/coinflip"], make=lambda n, s: None)
    state.click(5)
    assert state.opened and state.selected == 5
    state.click(None)
    assert not state.opened
