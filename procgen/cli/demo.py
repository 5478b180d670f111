"""``procgen demo``: play the generated worlds in a pygame window, or replay them headless."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Mapping

import procgen
from procgen.content import RiverPath
from procgen.errors import OutputError, ParameterError, ProcgenError
from procgen.fileio import check_output_path
from procgen.seeding import normalize_seed

DEMOS = ("explorer", "rivers", "gallery")


class DemoCommand:
    name = "demo"
    help = "play generated worlds: explorer (a top-down game), rivers (river lab), gallery (browse seeds)"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("demo", nargs="?", default="explorer", choices=DEMOS,
                            help="which demo (default explorer); docs/DEMOS.md lists every key")
        parser.add_argument("--seed", help="first seed: an int in [0, 2**64) or text (default: random; gallery 0)")
        parser.add_argument("--size", type=int, default=256, help="explorer: level width and height in tiles")
        parser.add_argument("--river", default="river/coinflip", help="explorer: river generator to start with")
        parser.add_argument("--left", default="river/coinflip", help="rivers: hand-written model to start with")
        parser.add_argument("--right", default="river/gru", help="rivers: learned model to start with")
        parser.add_argument("--generator", default="level/overworld", help="gallery: generator to start with")
        parser.add_argument("--out", default=".", metavar="DIR", help="folder for F12 screenshots and exports (created if missing)")
        parser.add_argument("--frames", type=int, help="run this many frames (1/60 s each), then stop")
        parser.add_argument("--keys", default="", metavar="SCRIPT",
                            help="scripted keys, one letter per --key-frames frames (needs --frames), e.g. RRDD")
        parser.add_argument("--key-frames", type=int, default=8, metavar="K", help="frames per scripted key")
        parser.add_argument("--screenshot", metavar="FILE.png", help="write the last frame to this PNG")
        parser.add_argument("--headless", action="store_true",
                            help="no window (SDL_VIDEODRIVER=dummy); needs --frames. Without it the demo needs a display")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        _check_run(args)
        if not args.headless:
            problem = missing_display(os.environ, sys.platform)
            if problem:
                raise ProcgenError(problem)
        _check_screenshot_name(args.screenshot)
        state, letters = _state(args)
        from procgen.play.controls import parse_script

        script = parse_script(args.keys, letters)
        # Folders are made only now, after every check, so a refused run leaves nothing behind.
        screenshot = None if args.screenshot is None else _output_file(Path(args.screenshot))
        shots = _output_file(Path(args.out) / "demo.png").parent
        if args.headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
        try:
            from procgen.play import app
        except ImportError as exc:
            raise ProcgenError(f"the demos need pygame ({exc}): pip install 'pygame>=2.5'") from None
        return app.play(args.demo, state, shots=shots, frames=args.frames, script=script,
                        key_frames=args.key_frames, screenshot=screenshot)


def _check_run(args: argparse.Namespace) -> None:
    if args.frames is not None and args.frames < 1:
        raise ParameterError(f"--frames must be at least 1, got {args.frames}")
    if args.key_frames < 1:
        raise ParameterError(f"--key-frames must be at least 1, got {args.key_frames}")
    if (args.keys or args.headless) and args.frames is None:
        raise ParameterError("--keys and --headless replay a fixed number of frames: add --frames N")


# SDL video drivers that draw through a display server, and the variable naming that server.
_SERVER_DRIVERS = {"x11": "DISPLAY", "wayland": "WAYLAND_DISPLAY"}
_HEADLESS_HINT = "replay without a window: --headless --frames N (add --screenshot FILE.png to see the last frame)"


def missing_display(env: Mapping[str, str], platform: str) -> str | None:
    """Why no window can open here (one line), or None when one can.

    Pure (no pygame): without a display SDL may fail late or, under some drivers, run with
    no visible window until killed. Windows and macOS always have a window system.
    """
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    drivers = [d.strip().lower() for d in env.get("SDL_VIDEODRIVER", "").split(",") if d.strip()]
    if drivers:
        # SDL tries the listed drivers in turn; one that needs no server (dummy, offscreen,
        # kmsdrm...) is the user's own choice and is trusted.
        if any(d not in _SERVER_DRIVERS or env.get(_SERVER_DRIVERS[d]) for d in drivers):
            return None
        needed = " or ".join(sorted({_SERVER_DRIVERS[d] for d in drivers}))
        return f"no display: SDL_VIDEODRIVER={env['SDL_VIDEODRIVER']} needs {needed}, which is not set; {_HEADLESS_HINT}"
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return f"no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set); {_HEADLESS_HINT}"


def _check_screenshot_name(text: str | None) -> None:
    if text is not None and Path(text).suffix.lower() != ".png":
        raise OutputError(f"--screenshot writes PNG files: give a name ending in .png, got '{text}'")


def _output_file(path: Path) -> Path:
    """``path`` checked for writing, its missing parent folders created first."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file in the way, no permission, ...
        raise OutputError(f"cannot create folder '{path.parent}': {exc.strerror or exc}") from None
    return check_output_path(path)


def _seed(args: argparse.Namespace, default: int | None) -> tuple[int, str]:
    from procgen.play.controls import random_seed

    if args.seed is None:
        return (random_seed() if default is None else default), ""
    return normalize_seed(args.seed), args.seed.strip()


def _with_first(names: list[str], first: str) -> tuple[list[str], int]:
    """``names`` with ``first`` in it (added at the front if new), and its index."""
    if first not in names:
        names = [first, *names]
    return names, names.index(first)


def _river(name: str) -> procgen.Generator:
    generator = procgen.get(name)
    if generator.content_type is not RiverPath:
        raise ParameterError(f"{name} makes {generator.content_type.__name__}, not rivers; "
                             "pick a river generator (procgen list)")
    return generator


def _state(args: argparse.Namespace) -> tuple[Any, dict[str, str]]:
    """The demo's pure state, built and checked before any window opens, and its script letters."""
    if args.demo == "explorer":
        from procgen.play import explorer

        seed, label = _seed(args, None)
        rivers, index = _with_first(explorer.river_generators(), args.river)
        built = procgen.get("level/overworld", width=args.size, height=args.size, river=args.river)
        make = explorer.Overworlds(args.size, {args.river: built})
        return explorer.ExplorerState(seed, rivers, size=args.size, river_index=index, label=label,
                                      make_level=make), explorer.LETTERS
    if args.demo == "rivers":
        from procgen.play import rivers_lab

        seed, label = _seed(args, None)
        left, i = _with_first(rivers_lab.river_models("hand-written"), args.left)
        right, j = _with_first(rivers_lab.river_models("learned"), args.right)
        models = rivers_lab.Models({args.left: _river(args.left), args.right: _river(args.right)})
        return rivers_lab.RiverLabState(seed, left, right, left_index=i, right_index=j, models=models,
                                        label=label), rivers_lab.LETTERS
    from procgen.play import gallery

    seed, label = _seed(args, 0)
    names, index = _with_first(procgen.available(), args.generator)
    pictures = gallery.Pictures({args.generator: procgen.get(args.generator)})
    return gallery.GalleryState(seed, names, index=index, out_dir=args.out, make=pictures,
                                label=label), gallery.LETTERS
