"""Issue 15, items 1, 2 and 4: output folders, progress bars, and text seeds in file names.

1. Every ``--out`` makes its missing parent folders (and removes them again when the command
   fails); an existing report or model is replaced only with ``--force``, built beside it and
   swapped in whole.
2. Long steps show a progress bar on stderr (never stdout), silenced by ``--quiet``.
4. ``procgen export`` names a safe text seed's files by its text; unsafe text falls back to
   the number, which the manifest keeps either way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import procgen
from procgen.cli.main import main
from procgen.export.manifest import MANIFEST
from procgen.export.seeds import as_seed_list, parse_seeds

ROOT = Path(__file__).resolve().parent.parent
RIVERS = ROOT / "assets" / "data" / "rivers"
ROOMS = ROOT / "assets" / "levels" / "vglc-rooms"
COMPARE = ["compare", "rivers", "--generators", "river/coinflip", "--samples", "20", "--window", "16"]
OVERWORLD = ["data", "export-overworld", "--count", "2", "--size", "16", "--level-size", "32"]


def tree(folder: Path) -> list[str]:
    """Every path below ``folder``, hidden ones (a staging folder left behind) included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def refused(capsys: pytest.CaptureFixture[str], args: list[str], match: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("procgen: error: ") and match in err, err


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bars appear at once (they normally wait a second, longer than these small runs take)."""
    monkeypatch.setattr("procgen.progress.DELAY", 0.0)


# ---- 1. missing parents are made; a report or model is replaced only with --force ----------------

@pytest.mark.parametrize("command", [
    ["export", "river/coinflip", "--seeds", "0:2", "--formats", "json", "--workers", "0", "--quiet", "--out"],
    ["train", "river/meander", "--data", str(RIVERS), "--quiet", "--out"],
    [*COMPARE, "--quiet", "--out"],
    [*OVERWORLD, "--quiet", "--out"],
], ids=["export", "train", "compare", "data"])
def test_every_out_makes_its_missing_parents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([*command, "new/deeper/out"]) == 0, capsys.readouterr().err
    assert any(Path("new/deeper/out").iterdir())


@pytest.mark.parametrize("command,match", [
    (["export", "river/coinflip", "--seeds", "0:2", "--formats", "png,gif", "--out"], "unknown format"),
    (["train", "river/gru", "--data", str(RIVERS), "--set", "epochs=0", "--quiet", "--out"], "epochs"),
    ([*COMPARE[:-4], "--samples", "5", "--out"], "at least 10"),
    (["data", "export-overworld", "--size", "2", "--out"], "--size"),
], ids=["export", "train", "compare", "data"])
def test_a_failed_command_removes_the_parents_it_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], command: list[str],
                                                      match: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("kept").mkdir()  # a folder that was there stays
    refused(capsys, [*command, "kept/new/deeper/out"], match)
    assert tree(tmp_path) == ["kept"]


def test_a_parent_that_is_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("x")
    refused(capsys, [*COMPARE, "--out", str(tmp_path / "a-file" / "report")], "is a file, not a folder")


def test_a_report_is_replaced_only_with_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    assert main([*COMPARE, "--quiet", "--out", str(out)]) == 0
    first = (out / "report.json").read_bytes()
    # The issue's case: a level comparison into the rivers' report folder is refused before any work.
    refused(capsys, ["compare", "levels", "--corpus", str(ROOMS), "--generators", "level/wfc", "--out", str(out)],
            "--force")
    refused(capsys, [*COMPARE, "--seed", "1", "--out", str(out)], "--force")
    assert (out / "report.json").read_bytes() == first
    assert main([*COMPARE, "--seed", "1", "--quiet", "--force", "--out", str(out)]) == 0
    assert json.loads((out / "report.json").read_text())["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no staging or old folder left beside it


def test_a_failed_forced_report_leaves_the_old_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    assert main([*COMPARE, "--quiet", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("procgen.evaluate.report.histograms_png", interrupted)  # half the files written
    assert main([*COMPARE, "--quiet", "--force", "--seed", "1", "--out", str(out)]) == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_a_model_is_replaced_only_with_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs" / "my-rivers"
    train = ["train", "river/meander", "--data", str(RIVERS), "--quiet", "--out", str(out)]
    assert main(train) == 0
    first = (out / "model.json").read_bytes()
    refused(capsys, train, "--force")
    refused(capsys, [*train, "--force", "--resume"], "give one")
    assert (out / "model.json").read_bytes() == first
    inode = out.stat().st_ino
    assert main([*train, "--force"]) == 0
    assert out.stat().st_ino != inode  # a new folder, swapped in whole
    assert procgen.get(str(out)).name == "river/meander"
    assert tree(tmp_path / "runs") == ["my-rivers", "my-rivers/MODEL_CARD.md", "my-rivers/model.json"]


# ---- 2. progress on stderr, silent with --quiet ------------------------------------------------

@pytest.mark.parametrize("command,bar", [
    ([*COMPARE, "--out", "report"], "compare rivers"),
    ([*OVERWORLD, "--out", "corpus"], "generating overworlds"),
    (["export", "river/coinflip", "--seeds", "0:3", "--formats", "json", "--workers", "0", "--out", "x"],
     "export river/coinflip"),
], ids=["compare", "data", "export"])
def test_progress_goes_to_stderr_and_quiet_silences_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], shown: None,
                                                       command: list[str], bar: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(command) == 0
    captured = capsys.readouterr()
    assert bar in captured.err and "100%" in captured.err
    assert bar not in captured.out and captured.out.count("\n") == 1  # stdout: the one result line
    for quiet in ("--quiet", "-q", "--no-progress"):  # one spelling, the older ones still work
        (tmp_path / quiet).mkdir()
        monkeypatch.chdir(tmp_path / quiet)
        assert main([*command, quiet]) == 0
        captured = capsys.readouterr()
        assert captured.err == "" and captured.out.count("\n") == 1


def test_the_evaluation_after_training_shows_progress(capsys: pytest.CaptureFixture[str], shown: None) -> None:
    from procgen.datasets.levels import load_corpus
    from procgen.evaluate.level_models import evaluate_level_model

    generator = procgen.get("level/wfc", corpus=str(ROOMS), width=16, height=11)
    corpus = load_corpus(ROOMS)
    quiet = evaluate_level_model(generator, corpus, count=2)
    assert capsys.readouterr().err == ""
    loud = evaluate_level_model(generator, corpus, count=2, progress=True, label="evaluating wfc")
    err = capsys.readouterr().err
    assert "evaluating wfc" in err and "level" in err
    assert loud.as_dict() == quiet.as_dict()  # chunked generation under the bar gives the same figures


def test_build_rivers_shows_a_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str], shown: None) -> None:
    import procgen.cli.data as data_cli

    def slow_build(*args: object, **kwargs: object) -> None:
        import time

        time.sleep(0.8)  # longer than a redraw: the clock's thread draws the bar
        raise procgen.ParameterError("stopped here")

    monkeypatch.setattr(data_cli, "build_rivers", slow_build)
    assert main(["data", "build-rivers", "--out", str(tmp_path / "new" / "rivers")]) == 2
    err = capsys.readouterr().err
    assert "building rivers" in err and "elapsed" in err and err.endswith("stopped here\n")
    assert list(tmp_path.iterdir()) == []


# ---- 4. text seeds in file names -----------------------------------------------------------------

def test_safe_text_seeds_name_files_unsafe_ones_their_number() -> None:
    given = ["mossy-canyon", "Canyon", "canyon", "a/b", "tab\there", "x" * 65, "a.height16", "é-lake", "con",
             " padded ", 7, "0:1"]
    seeds = as_seed_list(given)
    stems = {s.text if s.text is not None else s.value: seeds.file_stem(s) for s in seeds}
    number = {text: f"seed-{procgen.normalize_seed(text)}" for text in given if isinstance(text, str)}
    assert stems == {
        "mossy-canyon": "seed-mossy-canyon",
        "Canyon": number["Canyon"], "canyon": number["canyon"],  # one file on macOS and Windows: numbers
        "a/b": number["a/b"], "tab\there": number["tab\there"], "x" * 65: number["x" * 65],  # separator, control, long
        "a.height16": number["a.height16"],  # a dot could forge another format's suffix
        "é-lake": number["é-lake"],  # non-ASCII: normalised differently by some file systems
        "con": "seed-con",  # a Windows device name only alone; behind "seed-" it is harmless
        " padded ": "seed-padded", 7: "seed-7", "0:1": number["0:1"]}
    lazy = parse_seeds("0:1000000000")  # a range has no text seeds: nothing to scan
    assert lazy.file_stem(lazy[5]) == "seed-5"


def test_export_names_files_by_safe_text_seeds_and_keeps_the_number(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("mossy-canyon\nsnow/peak\n12\n", encoding="utf-8")
    out = tmp_path / "out" / "levels"
    args = ["export", "river/coinflip", "--seeds", str(seeds), "--formats", "json,png", "--workers", "0",
            "--quiet", "--out", str(out)]
    assert main(args) == 0
    peak = procgen.normalize_seed("snow/peak")
    assert sorted(p.name for p in out.iterdir()) == sorted([
        MANIFEST, "seed-mossy-canyon.json", "seed-mossy-canyon.png", f"seed-{peak}.json", f"seed-{peak}.png",
        "seed-12.json", "seed-12.png"])
    records = [json.loads(line) for line in (out / MANIFEST).read_text().splitlines()]
    assert [(r["seed"], r.get("seed_text"), sorted(r["files"])) for r in records] == [
        (procgen.normalize_seed("mossy-canyon"), "mossy-canyon", ["seed-mossy-canyon.json", "seed-mossy-canyon.png"]),
        (peak, "snow/peak", [f"seed-{peak}.json", f"seed-{peak}.png"]),
        (12, None, ["seed-12.json", "seed-12.png"])]
    content = procgen.content.load(out / "seed-mossy-canyon.json")
    assert content == procgen.get("river/coinflip").generate("mossy-canyon")
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != MANIFEST}
    assert main(args) == 0  # a rerun finds every asset complete under its text name
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != MANIFEST} == before
