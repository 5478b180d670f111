"""procgen export on the command line: determinism across workers, resuming after a kill,
and bad input (one line, exit 2, nothing left behind)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import procgen
from procgen.cli.main import main
from procgen.export import MANIFEST, export, parse_seeds
from procgen.export.manifest import file_sha256

SCRIPT = Path(sys.executable).with_name("procgen")
PROCGEN = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "procgen"]
SMALL = ["--set", "width=40", "--set", "height=32"]
FORMATS = "png,tmx,tmj,json,npz"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PROCGEN, "export", *args, "--no-progress"], capture_output=True, text=True)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def reference(folder: Path, seeds: str = "0:8") -> dict[str, bytes]:
    """What an uninterrupted export writes, made in this process."""
    export(procgen.get("level/overworld", width=40, height=32), parse_seeds(seeds), FORMATS, folder, workers=0)
    return tree(folder)


def assert_complete(folder: Path) -> None:
    """Every manifest record names files that exist with its hashes; no temp files linger."""
    records = [json.loads(line) for line in (folder / MANIFEST).read_text().splitlines()]
    for record in records:
        for name, sha in record["files"].items():
            assert file_sha256(folder / name) == sha, name
    assert not [p for p in folder.rglob("*.part")]


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> dict[str, bytes]:
    return reference(tmp_path_factory.mktemp("reference") / "out")


def test_workers_1_and_2_write_byte_identical_files_and_manifest(tmp_path, expected) -> None:
    for workers in ("1", "2"):
        result = run("level/overworld", "--seeds", "0:8", "--formats", FORMATS, "--out", str(tmp_path / workers),
                     "--workers", workers, *SMALL)
        assert result.returncode == 0, result.stderr
        assert "exported 8 level/overworld assets" in result.stdout
    assert tree(tmp_path / "1") == tree(tmp_path / "2") == expected
    records = [json.loads(line) for line in expected[MANIFEST].decode().splitlines()]
    assert [r["seed"] for r in records] == list(range(8))
    first = records[0]
    assert first["generator"] == "level/overworld" and first["procgen"] == procgen.__version__
    assert first["config"]["width"] == 40 and first["formats"] == sorted(FORMATS.split(","))
    assert set(first["files"]) >= {f"seed-0.{s}" for s in FORMATS.split(",")}


def test_a_killed_export_resumes_to_the_same_files(tmp_path) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen([*PROCGEN, "export", "level/overworld", "--seeds", "0:400", "--formats", FORMATS,
                                "--out", str(out), "--workers", "1", "--no-progress", *SMALL],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = out / MANIFEST
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if manifest.exists() and manifest.read_bytes().count(b"\n") >= 3:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    lines = manifest.read_bytes().splitlines(keepends=True)
    assert 3 <= len(lines) < 400, "the export should have been killed midway"
    # What a kill in the middle of a write leaves: a torn manifest line and a temporary file.
    manifest.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    (out / ".seed-1.png.0123456789ab.part").write_bytes(b"half a png")
    time.sleep(0.2)  # let the killed worker's own death land (it dies with its parent)
    assert main(["export", "level/overworld", "--seeds", "0:8", "--formats", FORMATS, "--out", str(out),
                 "--workers", "0", "--no-progress", *SMALL]) == 0
    assert_complete(out)
    records = [json.loads(line) for line in manifest.read_text().splitlines()]
    done = {r["seed"] for r in records}
    assert set(range(8)) <= done
    expected = reference(tmp_path / "clean")
    got = tree(out)
    for name, data in expected.items():
        if name != MANIFEST:
            assert got[name] == data, name
    mine = {r["seed"]: r for r in records}
    theirs = {json.loads(line)["seed"]: json.loads(line) for line in expected[MANIFEST].decode().splitlines()}
    assert all(mine[seed] == theirs[seed] for seed in range(8))


def test_a_rerun_skips_what_is_complete_and_redoes_what_is_not(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    args = ["export", "level/overworld", "--seeds", "0:4", "--formats", "png,tmj", "--out", str(out),
            "--workers", "0", "--no-progress", *SMALL]
    assert main(args) == 0
    first = tree(out)
    assert main(args) == 0
    assert "0 written" in capsys.readouterr().out and tree(out) == first
    (out / "seed-2.png").write_bytes(b"corrupt")
    os.unlink(out / "seed-3.tmj")
    assert main(args) == 0
    assert "2 written" in capsys.readouterr().out and tree(out) == first
    # A later run adding a format redoes those assets, and their records keep both formats.
    assert main(args[:5] + ["tmx"] + args[6:]) == 0
    records = [json.loads(line) for line in (out / MANIFEST).read_text().splitlines()]
    assert len(records) == 4 and all(r["formats"] == ["png", "tmj", "tmx"] for r in records)
    assert_complete(out)


def test_text_seeds_from_a_file(tmp_path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# two worlds\nmossy-canyon\n12\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["export", "river/coinflip", "--seeds", str(seeds), "--formats", "json", "--out", str(out),
                 "--workers", "0", "--no-progress"]) == 0
    records = [json.loads(line) for line in (out / MANIFEST).read_text().splitlines()]
    value = procgen.normalize_seed("mossy-canyon")
    assert [(r["seed"], r.get("seed_text")) for r in records] == [(value, "mossy-canyon"), (12, None)]
    # A safe text seed names its files; the manifest keeps its number (issue 15 item 4).
    assert records[0]["files"].keys() == {"seed-mossy-canyon.json"}
    assert procgen.content.load(out / "seed-mossy-canyon.json") == procgen.get("river/coinflip").generate("mossy-canyon")


def test_progress_bar_and_summary_line(tmp_path, capsys) -> None:
    assert main(["export", "river/coinflip", "--seeds", "0:5", "--formats", "svg", "--out", str(tmp_path / "o"),
                 "--workers", "0"]) == 0
    captured = capsys.readouterr()
    assert "5/5" in captured.err and "asset/s" in captured.err
    assert captured.out.count("\n") == 1 and "5 written" in captured.out and "assets/s" in captured.out


@pytest.mark.parametrize("change,message", [
    (["--formats", "png,gif"], "unknown format 'gif'"),
    (["--formats", "png,r16"], "format r16 does not apply to TileMap"),
    (["--formats", ""], "--formats is empty"),
    (["--seeds", "9:3"], "START must be below STOP"),
    (["--seeds", "seeds.txt"], "line 2: seed '-5' is out of range"),
    (["--out", "a-file"], "is a file"),
    (["--out", "a-file/out"], "is a file, not a folder"),
    (["--out", "new/deeper/out", "--formats", "png,gif"], "unknown format 'gif'"),  # parents made, then removed
    (["--out", "/proc/self/export"], "not writable"),
    (["--out", "stranger"], "holds no manifest.jsonl"),
    (["--set", "rivers=9"], "rivers"),
    (["--workers", "-1"], "--workers"),
    (["--heightmap-size", "300"], "--heightmap-size"),
])
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(tmp_path, monkeypatch, capsys, change, message) -> None:
    monkeypatch.chdir(tmp_path)
    Path("seeds.txt").write_text("1\n-5\n", encoding="utf-8")
    Path("a-file").write_text("x", encoding="utf-8")
    Path("stranger").mkdir()
    Path("stranger/notes.txt").write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    args = {"--seeds": "0:3", "--formats": "png,tmj", "--out": "out", "--workers": "0"}
    extra = []
    for key, value in zip(change[::2], change[1::2]):
        if key in args:
            args[key] = value
        else:
            extra += [key, value]
    code = main(["export", "level/overworld", *[x for kv in args.items() for x in kv], *extra, *SMALL,
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert tree(tmp_path) == before and not Path("out").exists()


def test_a_folder_of_another_export_is_refused_before_any_work(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["export", "river/coinflip", "--seeds", "0:2", "--formats", "json", "--out", str(out),
                 "--workers", "0", "--no-progress"]) == 0
    before = tree(out)
    code = main(["export", "river/coinflip", "--seeds", "0:4", "--formats", "json", "--out", str(out),
                 "--set", "steps=10", "--workers", "0", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "another config" in err and err.count("\n") == 1
    assert tree(out) == before
