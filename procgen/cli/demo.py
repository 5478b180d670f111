"""``procgen demo``: play the generated worlds in a pygame window, or replay them headless."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

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
        parser.add_argument("--out", default=".", metavar="DIR", help="folder for F12 screenshots and exports")
        parser.add_argument("--frames", type=int, help="run this many frames (1/60 s each), then stop")
        parser.add_argument("--keys", default="", metavar="SCRIPT",
                            help="scripted keys, one letter per --key-frames frames (needs --frames), e.g. RRDD")
        parser.add_argument("--key-frames", type=int, default=8, metavar="K", help="frames per scripted key")
        parser.add_argument("--screenshot", metavar="FILE.png", help="write the last frame to this PNG")
        parser.add_argument("--headless", action="store_true",
                            help="no window (SDL_VIDEODRIVER=dummy); needs --frames")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        _check_run(args)
        screenshot = _screenshot_path(args.screenshot)
        shots = Path(args.out)
        check_output_path(shots / "demo.png")  # the folder exists and is writable
        state, letters = _state(args)
        from procgen.play.controls import parse_script

        script = parse_script(args.keys, letters)
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


def _screenshot_path(text: str | None) -> Path | None:
    if text is None:
        return None
    path = Path(text)
    if path.suffix.lower() != ".png":
        raise OutputError(f"--screenshot writes PNG files: give a name ending in .png, got '{path}'")
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
