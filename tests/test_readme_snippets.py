"""Every shell command in README.md runs as written, in a fresh folder beside the shipped assets.

Only sizes shrink, so the whole README runs in about a minute (``quick``): trainings stop
after one epoch (level models on 256 windows), comparisons use a few samples, seed ranges
keep their first 4 seeds, demos stop after 2 frames. The
files a reader brings (``my_rivers.geojson``, ``worlds.txt``, a VGLC folder) are made
first. The Python blocks run in ``tests/test_readme.py``; ``make run`` and ``make test``
are what CI itself runs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def shell_commands(text: str) -> list[list[str]]:
    """The command lines of every ```sh block (comments dropped), as argv lists."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            argv = shlex.split(line, comments=True)
            if argv and argv[0] != "make":
                commands.append(argv)
    return commands


def quick(argv: list[str]) -> list[str]:
    """``argv`` with its sizes shrunk (see the module docstring)."""
    out = [("0:4" if re.fullmatch(r"\d+:\d+(:\d+)?", a) and argv[i - 1] == "--seeds" else a)
           for i, a in enumerate(argv)]
    if "train" in out:
        out = [a for i, a in enumerate(out) if not (a.startswith("epochs=") or out[i + 1:i + 2] and
                                                    out[i + 1].startswith("epochs="))]
        out += ["--set", "epochs=1", "--set", "max_minutes=0.5"]
        if any(a.startswith("level/") for a in out):
            out += ["--eval-levels", "2", "--set", "max_windows=256"]
    if "compare" in out:
        out += ["--samples", "20" if "rivers" in out else "4"]
    if "demo" in out and "--frames" not in out:
        out += ["--frames", "2"]
    return out


def reader_files(folder: Path) -> None:
    """What the README's reader brings: their rivers, a seeds file, a VGLC folder."""
    import procgen

    rivers = procgen.get("river/meander", steps=120)
    features = [{"type": "Feature", "properties": {"name": f"river-{s}"},
                 "geometry": {"type": "LineString", "coordinates": rivers.generate(s).points.tolist()}}
                for s in range(40)]
    (folder / "my_rivers.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    (folder / "worlds.txt").write_text("7\nmossy-canyon\n")
    shutil.copytree(ROOT / "assets" / "levels" / "platformer-14", folder / "path" / "to" / "vglc" / "smb")
    (folder / "assets").symlink_to(ROOT / "assets")


@pytest.mark.slow
def test_every_shell_command_in_the_readme_runs(tmp_path: Path) -> None:
    reader_files(tmp_path)
    commands = shell_commands(README.read_text())
    assert len(commands) >= 25
    for argv in commands:
        env = {**os.environ}
        while argv and re.fullmatch(r"[A-Z_]+=.*", argv[0]):  # VAR=value before the command
            key, value = argv.pop(0).split("=", 1)
            env[key] = value
        env.setdefault("SDL_VIDEODRIVER", "dummy")  # the demos' window, on a machine with no display
        assert argv[0] == "procgen", argv
        done = subprocess.run([sys.executable, "-m", "procgen", *quick(argv)[1:]], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{shlex.join(argv)} failed:\n{done.stderr[-2000:]}"


def test_the_readme_error_example_prints_what_it_shows(tmp_path: Path) -> None:
    block = re.search(r"```\n\$ (procgen .*?)\n(.*?)\n```", README.read_text(), flags=re.S)
    assert block, "the README shows one failing command and its message"
    argv = shlex.split(block[1])
    done = subprocess.run([sys.executable, "-m", "procgen", *argv[1:]], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == block[2].strip()


def test_the_readme_has_no_words_a_reader_cannot_follow() -> None:
    text = README.read_text()
    for word in ("the seeds'", "issue-", "issue ", "TODO", "BENCH_FIGURES", "SMB_TABLE"):
        assert word not in text, word


def test_the_readme_lists_every_generator() -> None:
    import procgen

    text = README.read_text()
    assert [name for name in procgen.available() if f"`{name}`" not in text] == []
    gallery = (ROOT / "docs" / "GALLERY.md").read_text()
    assert [name for name in procgen.available() if f"`{name}`" not in gallery] == []
