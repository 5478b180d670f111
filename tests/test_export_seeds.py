"""procgen export --seeds: ranges and seeds files, with errors that name the file and line."""

from __future__ import annotations

import pytest

from procgen.errors import SeedError
from procgen.export import Seed, parse_seeds
from procgen.seeding import text_seed


def test_ranges_are_lazy_and_exclude_stop() -> None:
    assert [s.value for s in parse_seeds("3:7")] == [3, 4, 5, 6]
    assert [s.value for s in parse_seeds("0:10:4")] == [0, 4, 8]
    top = parse_seeds(f"{2**64 - 3}:{2**64}")
    assert len(top) == 3 and top[2] == Seed(2**64 - 1)


@pytest.mark.parametrize("spec,message", [
    ("5:5", "below STOP"), ("9:2", "below STOP"), ("0:4:0", "STEP"), (f"0:{2**64 + 1}", "2**64"),
    ("-1:4", "bad seed range"), ("1:x", "bad seed range"), ("no-such-file.txt", "neither a range"),
    ("42", "N:N+1"), (f"0:{2**64}", "split it"),
])
def test_bad_ranges_say_what_to_write(spec: str, message: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SeedError, match=message.replace("*", r"\*").replace("+", r"\+")):
        parse_seeds(spec)


def test_a_seeds_file_takes_ints_text_and_comments(tmp_path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text("# favourite worlds\n42\n\n  mossy-canyon  \n# done\n7\n", encoding="utf-8")
    seeds = list(parse_seeds(path))
    assert seeds == [Seed(42), Seed(text_seed("mossy-canyon"), "mossy-canyon"), Seed(7)]


@pytest.mark.parametrize("text,message", [
    ("1\n2\n-3\n", "line 3: seed '-3' is out of range"),
    ("1\nabc\n1\n", "line 3: seed '1' repeats line 1"),
    ("# only comments\n\n", "lists no seeds"),
    (f"{2**64}\n", "line 1"),
])
def test_a_bad_seeds_file_names_file_and_line(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SeedError) as info:
        parse_seeds(path)
    assert message in str(info.value) and "seeds.txt" in str(info.value)


def test_a_binary_seeds_file_is_refused(tmp_path) -> None:
    path = tmp_path / "seeds.bin"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SeedError, match="not UTF-8"):
        parse_seeds(path)


def test_the_python_api_takes_plain_ints_and_text() -> None:
    from procgen.export.seeds import as_seed_list

    assert list(as_seed_list([3, "7", "mossy-canyon"])) == [
        Seed(3), Seed(7), Seed(text_seed("mossy-canyon"), "mossy-canyon")]
    with pytest.raises(SeedError, match="listed twice"):
        as_seed_list([7, "7"])
    with pytest.raises(SeedError):
        as_seed_list([-1])
