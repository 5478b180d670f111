"""procgen compare rivers: the report, its determinism and its errors, on small samples."""

from __future__ import annotations

import json
import subprocess

import pytest

import procgen
from procgen.datasets.rivers import load_paths, load_rivers
from procgen.errors import ParameterError
from procgen.evaluate.likelihood import heldout_nll
from procgen.evaluate.compare import compare_rivers
from procgen.evaluate.report import write_report
from test_cli import PROCGEN

MEANDER = procgen.get("river/meander", steps=300, step_length=2.0, sigma=6.0, phi=0.5)


def small(seed: int = 0, **kw):
    holdout = MEANDER.generate_batch([f"real-{i}" for i in range(40)])
    train = MEANDER.generate_batch([f"train-{i}" for i in range(40)])
    wiggly = MEANDER.with_params(sigma=14.0)
    return compare_rivers([("same", MEANDER), ("wiggly", wiggly)], holdout, train=train, samples=60,
                          seed=seed, **kw)


def test_same_distribution_passes_and_a_different_one_is_caught() -> None:
    report = small()
    same, wiggly = report.results
    assert same.nll.nats_per_step < wiggly.nll.nats_per_step
    assert same.discriminator.ci_low <= 0.5 + 0.1 and wiggly.discriminator.accuracy > 0.75
    # Pooled turns are correlated within a river, so KS p-values overstate significance;
    # the KS statistic (an effect size) is what separates the two.
    assert same.distances["turning_angle"].ks < 0.06 < 0.2 < wiggly.distances["turning_angle"].ks
    assert same.distances["sinuosity"].ks_pvalue > 0.001 and wiggly.distances["sinuosity"].ks_pvalue < 1e-6
    assert same.novelty.copies == 0.0 and same.novelty.median > 0


def test_report_is_deterministic_and_written_whole(tmp_path) -> None:
    first, second = small(seed=3), small(seed=3)
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())
    assert json.dumps(small(seed=4).to_dict()) != json.dumps(first.to_dict())
    out = write_report(first, tmp_path / "report")
    assert sorted(p.name for p in out.iterdir()) == ["histograms.png", "report.json", "report.md", "samples.png"]
    text = (out / "report.md").read_text()
    assert "| `same` |" in text and "![samples](samples.png)" in text
    write_report(second, out)  # an earlier report is replaced whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_bad_input_raises_clearly(tmp_path) -> None:
    holdout = MEANDER.generate_batch(range(2))  # 2 rivers of 300 steps: 8 windows, too few
    with pytest.raises(ParameterError, match="windows"):
        compare_rivers([("m", MEANDER)], holdout, samples=20)
    with pytest.raises(ParameterError, match="at least one"):
        compare_rivers([], holdout)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"x")
    with pytest.raises(procgen.OutputError):
        write_report(small(), tmp_path / "photos")


@pytest.mark.parametrize("args,message", [
    (["compare", "rivers", "--generators", "river/nope", "--out", "r"], "unknown generator"),
    (["compare", "rivers", "--generators", "river/meander", "--seed", "-3", "--out", "r"], "seed"),
    (["compare", "rivers", "--generators", "river/gan", "--holdout", "missing.geojson", "--out", "r"], "missing"),
    (["compare", "lakes", "--out", "r"], "invalid choice"),
    # --out's missing parents are made, and removed again when the comparison fails.
    (["compare", "rivers", "--generators", "river/meander", "--samples", "5", "--out", "no/such/folder"],
     "at least 10"),
])
def test_cli_errors_are_one_line(tmp_path, args, message) -> None:
    done = subprocess.run([*PROCGEN, *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and message in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_a_report_on_the_shipped_data(tmp_path) -> None:
    done = subprocess.run([*PROCGEN, "compare", "rivers", "--generators", "river/coinflip,river/gan",
                           "--samples", "50", "--out", str(tmp_path / "r")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [r["label"] for r in data["results"]] == ["river/coinflip", "river/gan"]
    assert data["results"][1]["nll"] is None
    assert data["holdout_rivers"] == len(load_rivers(split="holdout"))


def test_cli_compares_against_the_users_own_rivers(tmp_path) -> None:
    # A user's held-out rivers as CSV (path_id, x, y in km), drawn by a meander walk.
    rows = ["path_id,x,y"]
    for i, river in enumerate(MEANDER.generate_batch([f"user-{k}" for k in range(30)])):
        rows += [f"r{i},{x!r},{y!r}" for x, y in river.points.tolist()]
    (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n")
    done = subprocess.run([*PROCGEN, "compare", "rivers", "--generators", "river/meander,river/gru",
                           "--holdout", str(tmp_path / "mine.csv"), "--samples", "40", "--out", str(tmp_path / "r")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["holdout_rivers"] == 30 and len(data["results"]) == 2


def test_each_model_scores_the_users_rivers_at_its_own_step(tmp_path) -> None:
    # Fine rivers (0.5 km steps), as a user might digitize them, scored by a 1 km model: its
    # NLL must come from the rivers resampled once to 1 km, not from a 2 km resampling.
    fine = procgen.get("river/meander", steps=600, step_length=0.5, sigma=6.0, phi=0.5)
    rows = ["path_id,x,y"]
    for i, river in enumerate(fine.generate_batch([f"fine-{k}" for k in range(20)])):
        rows += [f"r{i},{x!r},{y!r}" for x, y in river.points.tolist()]
    (tmp_path / "fine.csv").write_text("\n".join(rows) + "\n")
    rivers = load_paths(tmp_path / "fine.csv")
    assert len(rivers) == 20 and len(rivers[0]) == 601  # every point kept: not resampled
    one_km = MEANDER.with_params(step_length=1.0)
    report = compare_rivers([("1 km", one_km)], rivers, samples=40, step_length=2.0)
    (result,) = report.results
    assert result.step_length == 1.0
    assert result.nll == heldout_nll(one_km, rivers)
    text = (write_report(report, tmp_path / "r") / "report.md").read_text()
    assert f"tested on as few as {result.discriminator.n_test} windows" in text  # says its interval is wide
    assert "| `1 km` | hand-written | 1 |" in text
