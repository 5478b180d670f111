import numpy as np
import pytest

from procgen.content import Heightmap, RiverPath, Tile, TileMap, load
from procgen.errors import ContentError, OutputError

GRASS = Tile("grass", (80, 160, 60), ".", True)
WATER = Tile("water", (40, 90, 200), "~", False)


def small_map(**kw) -> TileMap:
    tiles = np.array([[0, 0, 1], [0, 1, 1]])
    return TileMap(tiles, [GRASS, WATER], **kw)


def test_river_path_validates_and_freezes() -> None:
    source = np.array([[0, 0], [1, 0], [2, 1]])
    river = RiverPath(source, width=[1, 2, 3])
    assert river.points.dtype == np.float64 and len(river) == 3 and river.length == pytest.approx(1 + 2**0.5)
    source[0, 0] = 99
    assert river.points[0, 0] == 0  # content never aliases its input
    with pytest.raises(ValueError):
        river.points[0, 0] = 5
    for bad in ([[0, 0]], [[0, 0, 0], [1, 1, 1]], [[0, np.nan], [1, 1]], [[0, 0], [np.inf, 1]], [["a", "b"]]):
        with pytest.raises(ContentError):
            RiverPath(bad)
    for width in ([1, 2], [1, 0, 1], [1, np.nan, 1]):
        with pytest.raises(ContentError):
            RiverPath(source, width=width)


def test_heightmap_validates_range_and_shape() -> None:
    assert Heightmap(np.zeros((3, 4))).height.dtype == np.float32
    for bad in (np.zeros(5), np.zeros((0, 3)), np.full((2, 2), 1.5), np.full((2, 2), -0.1), np.full((2, 2), np.nan)):
        with pytest.raises(ContentError):
            Heightmap(bad)
    with pytest.raises(ContentError, match="colormap"):
        Heightmap(np.zeros((2, 2))).to_image("rainbow")
    assert Heightmap(np.linspace(0, 1, 16).reshape(4, 4)).to_image("gray").mode == "L"


def test_tiles_and_tilemaps_validate() -> None:
    m = small_map(spawn=(0, 0), goal=(1, 0))
    assert m.walkable_mask().tolist() == [[True, True, False], [True, False, False]]
    with pytest.raises(ContentError, match="non-walkable"):
        small_map(spawn=(0, 2))
    with pytest.raises(ContentError, match="outside"):
        small_map(goal=(5, 0))
    with pytest.raises(ContentError, match="ids"):
        TileMap([[0, 2]], [GRASS, WATER])
    with pytest.raises(ContentError, match="integer"):
        TileMap([[0.0, 1.0]], [GRASS, WATER])
    with pytest.raises(ContentError, match="unique"):
        TileMap([[0]], [GRASS, Tile("grass2", (0, 0, 0), ".", True)])
    for bad in (dict(name=""), dict(char="ab"), dict(char=" "), dict(color=(0, 0, 300)), dict(walkable=1)):
        with pytest.raises(ContentError):
            Tile(**{"name": "t", "color": (0, 0, 0), "char": "t", "walkable": True, **bad})


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("content", [
    RiverPath([[0.1, 0.2], [1 / 3, 2 / 3], [1e-300, -7.5]], width=[0.5, 1.0, 2.0]),
    Heightmap(np.random.default_rng(0).random((5, 7), dtype=np.float32)),
    small_map(spawn=(0, 1), goal=None),
], ids=["river", "heightmap", "tilemap"])
def test_lossless_round_trip(content, suffix, tmp_path) -> None:
    loaded = load(content.save(tmp_path / f"c{suffix}"))
    assert type(loaded) is type(content) and loaded == content and loaded.digest() == content.digest()


def test_load_checks_type_and_rejects_garbage(tmp_path) -> None:
    path = RiverPath([[0, 0], [1, 1]]).save(tmp_path / "r.json")
    with pytest.raises(ContentError, match="not a heightmap"):
        Heightmap.load(path)
    (tmp_path / "junk.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"format": "something-else"}')
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "lie.json").write_text('{"format": "procgen-content", "version": 1, "type": "river", '
                                       '"meta": {}, "arrays": {"points": [[0, 0]]}}')
    for name in ("junk.json", "other.json", "bad.npz", "lie.json", "missing.json", "r.txt"):
        with pytest.raises(ContentError):
            load(tmp_path / name)


def test_save_is_atomic_and_checks_the_path(tmp_path) -> None:
    river = RiverPath([[0, 0], [1, 1]])
    with pytest.raises(ContentError, match="png"):
        river.save(tmp_path / "r.bmp")
    with pytest.raises(OutputError, match="does not exist"):
        river.save(tmp_path / "nowhere" / "r.png")
    with pytest.raises(OutputError, match="folder"):
        river.save(tmp_path)
    river.save(tmp_path / "r.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.png"]  # no temporary left behind


def test_digest_depends_on_every_part() -> None:
    a = small_map(spawn=(0, 0))
    assert a.digest() != small_map(spawn=(1, 0)).digest()
    assert a.digest() != TileMap(a.tiles, [GRASS, Tile("water", (40, 90, 201), "~", False)], spawn=(0, 0)).digest()
    assert RiverPath([[0, 0], [1, 1]]).digest() != RiverPath([[0, 0], [1, 1]], width=[1, 1]).digest()


def test_saved_files_get_normal_permissions(tmp_path) -> None:
    reference = tmp_path / "plain.txt"
    reference.write_text("x")
    saved = RiverPath([[0, 0], [1, 1]]).save(tmp_path / "r.json")
    assert saved.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777
