"""Hostile and broken input (issue 12, item 6): one error line, exit 2, nothing left behind."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
import warnings
import zlib
from pathlib import Path

import pytest

import procgen
from procgen.cli.main import main
from procgen.datasets.levels import load_corpus
from procgen.errors import CheckpointError, ContentError, ParameterError, SeedError

TILED = Path(__file__).resolve().parent.parent / "assets" / "levels" / "tiled"
ROOMS = Path(__file__).resolve().parent.parent / "assets" / "levels" / "vglc-rooms"
HUGE = "1" * 5000  # past the 4300 digits Python's int() converts from text


def fails(capsys: pytest.CaptureFixture[str], *args: str, match: str) -> str:
    """Run the command; assert it printed one error line containing ``match`` and exited 2."""
    code = main(list(args))
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("procgen: error: "), err
    assert match in lines[0], lines[0]
    return lines[0]


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---- 1. integers too long for int() ---------------------------------------------------------

def test_huge_seed_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = fails(capsys, "generate", "river/coinflip", "--seed", HUGE, "-o", str(tmp_path / "a.png"),
                 match="out of range (5000 digits)")
    assert len(line) < 300  # the seed is quoted short
    with pytest.raises(SeedError, match="out of range"):
        procgen.get("river/coinflip").generate(10**5000)
    assert files(tmp_path) == []


def test_huge_seed_in_a_seeds_file_and_a_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"1\n{HUGE}\n")
    out = tmp_path / "out"
    fails(capsys, "export", "river/coinflip", "--seeds", str(seeds), "--formats", "png", "--out", str(out),
          match="line 2: seed")
    fails(capsys, "export", "river/coinflip", "--seeds", f"0:{HUGE}", "--formats", "png", "--out", str(out),
          match="bad seed range")
    assert files(tmp_path) == ["seeds.txt"]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return procgen.get("river/coinflip").save(tmp_path / "model")


def test_huge_number_in_model_json(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (model / "model.json").read_text()
    (model / "model.json").write_text(text.replace('"steps": ', f'"steps": {HUGE}, "x": ', 1))
    fails(capsys, "generate", str(model), "--seed", "1", "-o", str(tmp_path / "a.png"),
          match="holds a number too long to read")
    with pytest.raises(CheckpointError, match="model.json"):
        procgen.get(str(model))
    assert not (tmp_path / "a.png").exists()


# ---- 2. text that is not valid Unicode ------------------------------------------------------------

def test_seed_text_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_utf8 = os.fsdecode(b"caf\xe9")  # how Python hands argv bytes that are not UTF-8
    fails(capsys, "generate", "river/coinflip", "--seed", not_utf8, "-o", str(tmp_path / "a.png"),
          match="not valid Unicode")
    for text in ("\udc80", "ok\ud800"):
        with pytest.raises(SeedError, match="not valid Unicode"):
            procgen.get("river/coinflip").generate(text)
    assert files(tmp_path) == []


# ---- 3. JSON nested past the recursion limit --------------------------------------------------------

def test_deeply_nested_model_json(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (model / "model.json").write_text("[" * 100_000)
    fails(capsys, "generate", str(model), "--seed", "1", "-o", str(tmp_path / "a.png"), match="nested too deeply")
    assert not (tmp_path / "a.png").exists()


def test_deeply_nested_legend_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "rooms"
    shutil.copytree(ROOMS, corpus)
    (corpus / "legend.json").write_text('{"tiles": ' + "[" * 100_000)
    with pytest.raises(ContentError, match="nested too deeply"):
        load_corpus(corpus)
    fails(capsys, "train", "level/vae", "--data", str(corpus), "--out", str(tmp_path / "m"), match="legend")
    assert not (tmp_path / "m").exists()


# ---- 4, 5, 6. Tiled maps: sizes, inflation, tileset paths ----------------------------------------------

def tmj(folder: Path, **layer: object) -> Path:
    """The shipped TMJ map with some layer fields changed, alone in ``folder``."""
    doc = json.loads((TILED / "room-zlib.tmj").read_text())
    doc["layers"][0].update(layer)
    folder.mkdir(exist_ok=True)
    (folder / "m.tmj").write_text(json.dumps(doc))
    return folder


def tmx(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "m.tmx").write_text(text)
    return folder


@pytest.mark.parametrize("width,height", [(-8, -6), (-8, 6), (8, 0)])
def test_tiled_layer_with_a_negative_size(tmp_path: Path, width: int, height: int) -> None:
    with pytest.raises(ContentError, match="width and height must be 1 to"):
        load_corpus(tmj(tmp_path / "j", width=width, height=height))
    text = (TILED / "room-csv.tmx").read_text().replace('name="Ground" width="8" height="6"',
                                                         f'name="Ground" width="{width}" height="{height}"')
    corpus = tmx(tmp_path / "x", text)
    shutil.copy(TILED / "rooms.tsx", corpus / "rooms.tsx")
    with pytest.raises(ContentError, match="width and height must be 1 to"):
        load_corpus(corpus)


def bomb(size: int, gzip: bool = False) -> str:
    """base64 of ``size`` zero bytes, zlib- or gzip-compressed a piece at a time (no big buffer)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | (16 if gzip else 0))
    piece = bytes(1 << 20)
    packed = b"".join(packer.compress(piece) for _ in range(size >> 20)) + packer.flush()
    return base64.b64encode(packed).decode()


@pytest.mark.parametrize("compression", ["zlib", "gzip"])
def test_tiled_layer_data_that_inflates_past_its_size(tmp_path: Path, compression: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    data = bomb(200 << 20, gzip=compression == "gzip")  # 200 MB of zeros in about 200 KB
    assert len(data) < 400_000
    corpus = tmj(tmp_path / "c", data=data, compression=compression)
    tracemalloc.start()
    try:
        with pytest.raises(ContentError, match="expected 48"):
            load_corpus(corpus)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100e6, f"peak {peak / 1e6:.0f} MB"
    fails(capsys, "train", "level/vae", "--data", str(corpus), "--out", str(tmp_path / "m"), match="expected 48")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("where", ["parent", "absolute", "symlink"])
def test_tiled_tileset_outside_the_corpus_is_refused(tmp_path: Path, where: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(TILED / "rooms.tsx", tmp_path / "secret.tsx")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = {"parent": "../secret.tsx", "absolute": str(tmp_path / "secret.tsx"), "symlink": "link.tsx"}[where]
    if where == "symlink":
        (corpus / "link.tsx").symlink_to(tmp_path / "secret.tsx")
    text = (TILED / "room-csv.tmx").read_text().replace('source="rooms.tsx"', f'source="{source}"')
    tmx(corpus, text)
    with pytest.raises(ContentError, match="outside the corpus folder"):
        load_corpus(corpus)
    fails(capsys, "train", "level/vae", "--data", str(corpus), "--format", "tiled", "--out", str(tmp_path / "m"),
          match="outside the corpus folder")
    assert not (tmp_path / "m").exists()


# ---- 12. a byte-order mark at the start of a seeds file ---------------------------------------------

def test_seeds_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_bytes("\ufeff7\nmossy-canyon\n".encode("utf-8"))
    out = tmp_path / "out"
    assert main(["export", "river/coinflip", "--seeds", str(seeds), "--formats", "json", "--out", str(out),
                 "--workers", "0", "--no-progress"]) == 0
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [r["seed"] for r in records] == [7, procgen.normalize_seed("mossy-canyon")]


def test_part_file_of_a_killed_generate_is_removed_by_the_next_run(tmp_path: Path) -> None:
    # A writer killed between creating its temporary file and renaming it.
    script = ("import os, signal\nfrom procgen.fileio import atomic_open\n"
              "opened = atomic_open('a.png')\nstream = opened.__enter__()\nstream.write(b'half')\nstream.flush()\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    killed = subprocess.run([sys.executable, "-c", script], cwd=tmp_path)
    assert killed.returncode == -signal.SIGKILL
    assert len(list(tmp_path.glob(".a.png.*.part"))) == 1
    live = tmp_path / f".a.png.{os.getpid():08x}beef.part"  # a writer still running: kept
    live.write_bytes(b"")
    assert main(["generate", "river/coinflip", "--seed", "1", "-o", str(tmp_path / "a.png")]) == 0
    assert files(tmp_path) == sorted(["a.png", live.name])


# ---- 8. names longer than the file system allows --------------------------------------------------

LONG = "a" * 300


@pytest.mark.parametrize("command", [
    ["generate", "river/coinflip", "--seed", "1", "-o", "{long}.png"],
    ["generate", "river/coinflip", "--seed", "1", "-o", "{long}/a.png"],
    ["export", "river/coinflip", "--seeds", "0:2", "--formats", "png", "--out", "{long}"],
    ["train", "river/coinflip", "--data", "{data}", "--out", "{long}"],
    ["compare", "rivers", "--generators", "river/coinflip", "--out", "{long}"],
], ids=["generate", "generate-folder", "export", "train", "compare"])
def test_output_names_too_long(tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "rivers.json"
    data.write_text("[]")
    args = [a.format(long=str(tmp_path / LONG), data=data) for a in command]
    fails(capsys, *args, match="bytes long; this file system allows")
    assert files(tmp_path) == ["rivers.json"]


# ---- 7. a failed training leaves no model folder -----------------------------------------------------

RIVERS = Path(__file__).resolve().parent.parent / "assets" / "data" / "rivers"


def test_failed_training_leaves_no_model_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    import procgen.cli.train as train_cli

    def late_failure(model, out: Path, facts) -> None:  # after the model folder is written
        assert (out / "model.json").is_file()
        raise ParameterError("found late")

    monkeypatch.setattr(train_cli, "write_model_card", late_failure)
    out = tmp_path / "fitted"
    fails(capsys, "train", "river/meander", "--data", str(RIVERS), "--out", str(out), "--quiet", match="found late")
    assert files(tmp_path) == []
    out.mkdir()  # an empty folder given by the user stays, empty
    fails(capsys, "train", "river/meander", "--data", str(RIVERS), "--out", str(out), "--quiet", match="found late")
    assert files(tmp_path) == ["fitted"]


def test_failed_training_never_deletes_an_existing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import procgen.cli.train as train_cli

    out = procgen.get("river/meander").save(tmp_path / "fitted")
    monkeypatch.setattr(train_cli, "write_model_card", lambda *a: (_ for _ in ()).throw(ParameterError("late")))
    # --force: the new model is trained beside the old one, which a failure leaves as it was.
    fails(capsys, "train", "river/meander", "--data", str(RIVERS), "--out", str(out), "--quiet", "--force",
          match="late")
    assert procgen.get(str(out)).name == "river/meander"
    assert files(tmp_path) == ["fitted", "fitted/model.json"]


def test_interrupted_training_keeps_only_its_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import procgen.cli.train as train_cli

    def interrupted(model, out: Path, facts) -> None:
        (out / "training").mkdir()
        (out / "training" / "checkpoint.safetensors").write_bytes(b"state")
        raise KeyboardInterrupt

    monkeypatch.setattr(train_cli, "write_model_card", interrupted)
    out = tmp_path / "fitted"
    assert main(["train", "river/meander", "--data", str(RIVERS), "--out", str(out), "--quiet"]) == 130
    assert "--resume" in capsys.readouterr().err
    assert files(tmp_path) == ["fitted", "fitted/training", "fitted/training/checkpoint.safetensors"]


def test_training_on_a_corpus_with_a_bad_file_leaves_nothing(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "rooms"
    shutil.copytree(ROOMS, corpus)
    (corpus / "zz-bad.txt").write_text("#?#\n")
    fails(capsys, "train", "level/vae", "--data", str(corpus), "--out", str(tmp_path / "m"), "--quiet",
          match="unknown character")
    assert not (tmp_path / "m").exists()


# ---- 9. more workers than cores ---------------------------------------------------------------------

def test_workers_are_capped_at_the_usable_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    import procgen.export.local as local
    from procgen.export import default_workers

    started: list[int] = []

    class Recorded(local.ProcessPool):
        def __init__(self, task, folder, workers: int) -> None:
            started.append(workers)
            super().__init__(task, folder, workers)

    monkeypatch.setattr(local, "ProcessPool", Recorded)
    out = tmp_path / "out"
    assert main(["export", "river/coinflip", "--seeds", "0:3", "--formats", "json", "--out", str(out),
                 "--workers", "1000", "--no-progress"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [f"procgen: note: --workers 1000 is more than the {default_workers()} usable cores; "
                   f"using {default_workers()}"]
    assert started == [default_workers()]
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 3


# ---- 10. two exports into one folder at once ------------------------------------------------------------

def test_second_export_into_a_busy_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    args = ["export", "river/coinflip", "--formats", "json", "--out", str(out), "--workers", "0", "--no-progress"]
    first = subprocess.Popen([sys.executable, "-m", "procgen", *args, "--seeds", "0:1000000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        manifest = out / "manifest.jsonl"
        deadline = time.monotonic() + 60
        while not (manifest.exists() and manifest.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (out / ".procgen-export.lock").is_file()
        fails(capsys, *args, "--seeds", "0:5", match="another export (process")
    finally:
        first.kill()  # the way a crash ends it: the lock file stays, its lock does not
        first.wait()
    records = manifest.read_text().splitlines()
    seeds = [json.loads(r)["seed"] for r in records if r.endswith("}")]
    assert seeds == list(range(len(seeds)))  # one writer: each seed once, in order
    assert main([*args, "--seeds", "0:5"]) == 0  # the stale lock file does not block
    assert not (out / ".procgen-export.lock").exists()


# ---- 11. parameters that overflow ---------------------------------------------------------------------

def test_overflowing_parameter_is_a_parameter_error_without_warnings(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "procgen", "generate", "river/coinflip", "--set",
                           "step_length=1e308", "--seed", "1", "-o", "x.png"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()] and "step_length=1e+308" in done.stderr, done.stderr
    assert "Warning" not in done.stderr and files(tmp_path) == []


@pytest.mark.parametrize("name,setting,fails_with", [
    ("river/meander", "step_length=1e308", "step_length"),
    ("river/flow", "step_length=1e308", "step_length"),
    ("river/coinflip", "steps=100000", None),
    ("landscape/fbm", "scale=1e308", None),
    ("landscape/fbm", "contrast=1e308", None),
    ("level/overworld", "scale=1e308", None),
])
def test_huge_parameters_either_work_or_fail_cleanly(tmp_path: Path, name: str, setting: str,
                                                     fails_with: str | None,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    args = ["generate", name, "--set", setting, "--seed", "1", "-o", str(tmp_path / "x.png")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if fails_with:
            fails(capsys, *args, match=fails_with)
        else:
            assert main(args) == 0
    assert [str(w.message) for w in caught] == []
    assert files(tmp_path) == ([] if fails_with else ["x.png"])


def test_overflowing_export_leaves_no_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(capsys, "export", "river/coinflip", "--set", "step_length=1e308", "--seeds", "0:3", "--formats", "png",
          "--out", str(tmp_path / "out"), "--no-progress", match="step_length=1e+308")
    assert files(tmp_path) == []


def test_huge_integers_as_parameters(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for value in (10**5000, 10**400):
        with pytest.raises(ParameterError, match="step_length must be finite, got <an int"):
            procgen.get("river/coinflip", step_length=value)
    with pytest.raises(ParameterError, match="steps must be"):
        procgen.get("river/coinflip", steps=10**5000)
    fails(capsys, "generate", "river/coinflip", "--set", f"steps={HUGE}", "--seed", "1", "-o",
          str(tmp_path / "x.png"), match="expects int")


def test_deeply_nested_content_file_and_manifest_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "levels"
    corpus.mkdir()
    (corpus / "a.json").write_text('{"format": "procgen-content", "arrays": {"tiles": ' + "[" * 100_000)
    with pytest.raises(ContentError, match="nested too deeply"):
        load_corpus(corpus, format="procgen")
    out = tmp_path / "out"
    args = ["export", "river/coinflip", "--seeds", "0:2", "--formats", "json", "--out", str(out), "--workers", "0",
            "--no-progress"]
    assert main(args) == 0
    with open(out / "manifest.jsonl", "a") as manifest:
        manifest.write("[" * 100_000 + "\n" + f'{{"seed": {HUGE}}}\n')
    assert main(args) == 0  # garbled lines are dropped, as a torn line is
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 2


def test_overflowing_parameters_from_the_api_are_a_parameter_error_without_warnings() -> None:
    generator = procgen.get("river/coinflip", step_length=1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would fail here
        with pytest.raises(ParameterError, match="step_length"):
            generator.generate(1)
        with pytest.raises(ParameterError, match="step_length"):
            generator.generate_batch([1, 2])


def test_deeply_nested_river_geojson_is_a_content_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from procgen.datasets.pathfiles import read_path_file

    bad = tmp_path / "rivers.geojson"
    bad.write_text('{"type": "LineString", "coordinates": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises((ContentError, ValueError), match="nested too deeply"):
        read_path_file(bad)
    assert main(["compare", "rivers", "--holdout", str(bad), "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("procgen: error:") and err.count("\n") == 1 and "nested too deeply" in err
    assert not (tmp_path / "report").exists()
