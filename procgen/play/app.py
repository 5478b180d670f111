"""The pygame loop: events -> actions -> update -> draw -> ``clock.tick(60)``; headless replay.

With ``frames`` set the loop runs that many frames at a fixed 1/60 s step, waits for each
generation to finish before going on (so a replay draws the same frames every time), and
replays a ``--keys`` script (see :mod:`procgen.play.controls`). Under
``SDL_VIDEODRIVER=dummy`` it needs no display.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402
from PIL import Image  # noqa: E402

from procgen.errors import ProcgenError  # noqa: E402
from procgen.fileio import atomic_write  # noqa: E402
from procgen.play import explorer, gallery, render, rivers_lab  # noqa: E402
from procgen.play.controls import Step, route_key  # noqa: E402
from procgen.play.worker import Worker  # noqa: E402

SIZE = (1280, 720)
FPS = 60
MAX_DT = 0.05  # a stalled frame moves the player at most this much time, never through walls
GENERATION_TIMEOUT = 300.0  # seconds a headless run waits for one generation


@dataclass
class Demo:
    """What the loop needs: the pure state, its key tables, and a renderer."""

    name: str
    state: Any
    keys: Mapping[str, str]
    held: frozenset[str]
    view: Callable[[Any], Any]  # Widgets -> a renderer with draw(screen, state, busy, seconds)
    click: Callable[[Any, tuple[int, int], tuple[int, int]], None] | None = None
    shots: Path = Path(".")


@dataclass
class Input:
    """One frame's input: actions pressed, text typed, actions held down, clicks."""

    pressed: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    clicks: list[tuple[int, int]] = field(default_factory=list)


def save_png(screen: pygame.Surface, path: str | os.PathLike[str]) -> Path:
    """The frame as a PNG, written whole or not at all."""
    image = Image.frombytes("RGB", screen.get_size(), pygame.image.tobytes(screen, "RGB"))
    return atomic_write(path, lambda stream: image.save(stream, format="PNG"))


def _keyboard(demo: Demo, frame: Input) -> None:
    entry = demo.state.entry
    for event in pygame.event.get():
        if event.type == pygame.QUIT:
            demo.state.done = True
        elif event.type == pygame.KEYDOWN:
            action = route_key(pygame.key.name(event.key), demo.keys, entry.active)
            if action:
                frame.pressed.append(action)
            elif entry.active and event.unicode and event.unicode.isprintable():
                frame.text.append(event.unicode)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            frame.clicks.append(event.pos)
    if not entry.active:
        down = pygame.key.get_pressed()
        frame.held |= {action for name, action in demo.keys.items()
                       if action in demo.held and down[pygame.key.key_code(name)]}


def _scripted(steps: list[Step], key_frames: int, index: int, frame: Input, held: frozenset[str]) -> None:
    """Frame ``index`` of the script: a step starts every ``key_frames`` frames."""
    step_index, offset = divmod(index, key_frames)
    if step_index >= len(steps):
        return
    step = steps[step_index]
    if step.action in held:
        frame.held.add(step.action)
    elif offset == 0 and step.action:
        frame.pressed.append(step.action)
    elif offset == 0 and step.text is not None:
        frame.text.append(step.text)
        frame.pressed.append("entry-submit")


def _apply(demo: Demo, frame: Input, screen: pygame.Surface) -> None:
    for text in frame.text:
        demo.state.type_text(text)
    for action in frame.pressed:
        if action == "screenshot":
            name = f"procgen-{demo.name}-{time.strftime('%Y%m%d-%H%M%S')}-{pygame.time.get_ticks()}.png"
            demo.state.message = f"saved {save_png(screen, demo.shots / name)}"
        else:
            demo.state.handle(action)
    for pos in frame.clicks:
        if demo.click is not None:
            demo.click(demo.state, pos, screen.get_size())


def _exchange(demo: Demo, worker: Worker, wait: bool) -> None:
    """Hand new jobs to the worker and results to the state; ``wait`` settles them all first."""
    for _ in range(100):  # a delivery may ask for more work (the lab's held-out scores)
        jobs = demo.state.jobs()
        for job in jobs:
            worker.submit(job)
        if wait and not worker.wait_idle(GENERATION_TIMEOUT):
            raise ProcgenError(f"generation took longer than {GENERATION_TIMEOUT:.0f} s; try a smaller --size")
        done = worker.poll()
        for result in done:
            demo.state.deliver(result)
        if not wait or not (jobs or done):
            return


def run(demo: Demo, *, frames: int | None = None, script: list[Step] | None = None, key_frames: int = 8,
        screenshot: Path | None = None) -> int:
    """Open the window and play until the player quits or ``frames`` frames have run."""
    try:
        pygame.display.init()
        pygame.font.init()
        screen = pygame.display.set_mode(SIZE)
    except pygame.error as exc:
        pygame.quit()
        raise ProcgenError(f"cannot open a window ({exc}); for a run without a display use "
                           "--headless --frames N") from None
    try:
        pygame.display.set_caption(f"procgen demo {demo.name}")
        view = demo.view(render.Widgets())
        worker = Worker()
        try:
            _loop(demo, screen, view, worker, frames, script or [], key_frames)
        finally:
            worker.stop()
        if screenshot is not None:
            save_png(screen, screenshot)
    finally:
        pygame.quit()
    return 0


def _loop(demo: Demo, screen: pygame.Surface, view: Any, worker: Worker, frames: int | None,
          script: list[Step], key_frames: int) -> None:
    clock = pygame.time.Clock()
    headless = frames is not None
    index = 0
    while not demo.state.done and (frames is None or index < frames):
        frame = Input()
        _keyboard(demo, frame)
        if headless:
            _scripted(script, key_frames, index, frame, demo.held)
        _apply(demo, frame, screen)
        _exchange(demo, worker, wait=headless)
        dt = 1.0 / FPS if headless else min(clock.tick(FPS) / 1000.0, MAX_DT)
        demo.state.update(dt, frame.held)
        seconds = index / FPS if headless else pygame.time.get_ticks() / 1000.0
        view.draw(screen, demo.state, worker.label if worker.busy else "", seconds)
        pygame.display.flip()
        index += 1


def _gallery_click(state: gallery.GalleryState, pos: tuple[int, int], screen: tuple[int, int]) -> None:
    state.click(gallery.cell_at(pos, screen))


DEMOS = {  # name: (state module with KEYS and HELD, renderer, click handler)
    "explorer": (explorer, render.ExplorerView, None),
    "rivers": (rivers_lab, render.RiversView, None),
    "gallery": (gallery, render.GalleryView, _gallery_click),
}


def play(name: str, state: Any, *, shots: Path = Path("."), frames: int | None = None,
         script: list[Step] | None = None, key_frames: int = 8, screenshot: Path | None = None) -> int:
    """Run demo ``name`` ('explorer', 'rivers' or 'gallery') on its ``state``."""
    module, view, click = DEMOS[name]
    demo = Demo(name, state, module.KEYS, module.HELD, view, click, shots)
    return run(demo, frames=frames, script=script, key_frames=key_frames, screenshot=screenshot)
