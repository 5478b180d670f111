"""The procgen command: acceptance items of the engine-core issue, run as real processes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import procgen
from procgen.cli.main import COMMANDS, main

SCRIPT = Path(sys.executable).with_name("procgen")
PROCGEN = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "procgen"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PROCGEN, *args], capture_output=True, text=True, cwd=cwd)


def test_console_script_is_installed() -> None:
    assert SCRIPT.exists() or shutil.which("procgen"), "pip install -e . should install the procgen command"


def test_generate_is_byte_identical_across_processes(tmp_path) -> None:
    first = run("generate", "river/coinflip", "--seed", "42", "-o", "a.png", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (tmp_path / "a.png").rename(tmp_path / "first.png")
    second = run("generate", "river/coinflip", "--seed", "42", "-o", "a.png", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "first.png").read_bytes()


def test_text_seed_and_data_formats(tmp_path) -> None:
    for suffix in (".png", ".json", ".npz"):
        out = tmp_path / f"land{suffix}"
        result = run("generate", "landscape/fbm", "--seed", "mossy-canyon", "--set", "width=48",
                     "--set", "height=32", "-o", str(out))
        assert result.returncode == 0, result.stderr
    land = procgen.content.load(tmp_path / "land.npz")
    assert land == procgen.get("landscape/fbm", width=48, height=32).generate("mossy-canyon")
    assert procgen.content.load(tmp_path / "land.json") == land


@pytest.mark.parametrize("args,message", [
    (["generate", "river/coinflip", "--seed", "-1", "-o", "r.png"], "out of range"),
    (["generate", "river/coinflip", "--seed", "", "-o", "r.png"], "empty"),
    (["generate", "river/coinflp", "--seed", "1", "-o", "r.png"], "did you mean river/coinflip"),
    (["generate", "river/coinflip", "--seed", "1", "--set", "steps=-4", "-o", "r.png"], "steps"),
    (["generate", "river/coinflip", "--seed", "1", "--set", "wiggle=2", "-o", "r.png"], "no parameter wiggle"),
    (["generate", "river/coinflip", "--seed", "1", "--set", "steps", "-o", "r.png"], "KEY=VALUE"),
    (["generate", "river/coinflip", "--seed", "1", "-o", "r.bmp"], "suffix"),
    (["generate", "river/coinflip", "--seed", "1", "-o", "/dev/null/x.png"], "not a folder"),  # a parent that is a file
    (["generate", "landscape/fbm", "--seed", "1", "--set", "width=4096", "--set", "height=4096", "-o", "r.png"], "chunks"),
    (["generate", "./not-a-model", "--seed", "1", "-o", "r.png"], "neither"),
    (["generate", "river/coinflip", "-o", "r.png"], "--seed"),
    (["frobnicate"], "invalid choice"),
    (["info", "river/nope"], "unknown generator"),
])
def test_errors_are_one_line_exit_2_and_leave_no_file(tmp_path, args: list[str], message: str) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_list_shows_a_table_of_every_generator() -> None:
    result = run("list")
    assert result.returncode == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "KIND", "CONTENT", "DESCRIPTION"]
    assert [row.split()[0] for row in rows] == procgen.available()
    assert any("hand-written" in row and "RiverPath" in row for row in rows)


def test_info_lists_parameters_with_defaults() -> None:
    result = run("info", "river/coinflip")
    assert result.returncode == 0 and "turn_angle" in result.stdout and "15.0" in result.stdout


def test_version_and_help_on_every_command(capsys) -> None:
    assert run("--version").stdout.strip() == f"procgen {procgen.__version__}"
    for command in [None, *(c.name for c in COMMANDS)]:
        with pytest.raises(SystemExit) as exit_info:
            main(([command] if command else []) + ["--help"])
        assert exit_info.value.code == 0
        assert "usage: procgen" in capsys.readouterr().out


def test_a_trained_model_folder_works_on_the_command_line(tmp_path) -> None:
    procgen.get("river/coinflip", turn_angle=30.0, steps=40).save(tmp_path / "my-rivers")
    result = run("generate", "my-rivers", "--seed", "3", "--set", "steps=20", "-o", "r.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = procgen.get("river/coinflip", turn_angle=30.0, steps=20).generate(3)
    assert procgen.content.load(tmp_path / "r.json") == expected


def test_python_api_lists_both_starters() -> None:
    out = subprocess.run([sys.executable, "-c", "import procgen; print(procgen.available())"],
                         capture_output=True, text=True, check=True).stdout
    assert "river/coinflip" in out and "landscape/fbm" in out
