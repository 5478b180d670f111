import hashlib
import unicodedata

import numpy as np
import pytest
import torch

from procgen.errors import ProcgenError, SeedError
from procgen.seeding import SEED_LIMIT, child, make_rng, normalize_seed, seed_sequence, text_seed, torch_generator


def test_ints_are_their_own_seed() -> None:
    assert normalize_seed(0) == 0
    assert normalize_seed(SEED_LIMIT - 1) == SEED_LIMIT - 1
    assert normalize_seed(np.int64(9)) == 9 and normalize_seed(np.uint64(2**63)) == 2**63


def test_text_seed_is_the_documented_sha256_hash() -> None:
    expected = int.from_bytes(hashlib.sha256(b"mossy-canyon").digest()[:8], "little")
    assert text_seed("mossy-canyon") == expected == normalize_seed("mossy-canyon")
    # Pinned literal: the same on every machine, Python version and hash seed.
    assert normalize_seed("mossy-canyon") == 10264236566129033740


def test_text_seed_ignores_surrounding_space_and_unicode_form() -> None:
    composed, decomposed = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    assert composed != decomposed and normalize_seed(composed) == normalize_seed(decomposed)
    assert normalize_seed("  mossy-canyon\n") == normalize_seed("mossy-canyon")
    assert normalize_seed("Mossy-Canyon") != normalize_seed("mossy-canyon")


def test_decimal_text_is_read_as_the_number() -> None:
    assert normalize_seed("42") == 42 and normalize_seed(" 007 ") == 7 and normalize_seed("+3") == 3
    assert normalize_seed(str(SEED_LIMIT - 1)) == SEED_LIMIT - 1


@pytest.mark.parametrize("bad", [-1, SEED_LIMIT, "-1", str(SEED_LIMIT), 1.0, float("inf"), True, False,
                                 np.bool_(True), None, "", " \t", b"seed", (1,), object()], ids=repr)
def test_everything_else_is_rejected_with_a_procgen_error(bad: object) -> None:
    with pytest.raises(SeedError) as info:
        normalize_seed(bad)
    assert isinstance(info.value, ProcgenError) and "seed" in str(info.value)


def test_streams_are_keyed_by_seed_and_generator_name() -> None:
    draw = lambda s: make_rng(s).integers(0, 2**63, 4).tolist()  # noqa: E731
    assert draw(seed_sequence(1, "river/coinflip")) == draw(seed_sequence(1, "river/coinflip"))
    assert draw(seed_sequence(1, "river/coinflip")) != draw(seed_sequence(2, "river/coinflip"))
    assert draw(seed_sequence(1, "river/coinflip")) != draw(seed_sequence(1, "landscape/fbm"))
    # Seeds that differ only above 32 bits must not collide.
    assert draw(seed_sequence(5, "x")) != draw(seed_sequence(5 + 2**32, "x"))


def test_child_streams_are_named_and_independent_of_creation_order() -> None:
    root = seed_sequence(7, "level/test")
    draw = lambda s: make_rng(s).random(3).tolist()  # noqa: E731
    rivers_first = draw(child(root, "rivers"))
    _ = draw(child(root, "terrain"))
    assert draw(child(root, "rivers")) == rivers_first
    assert draw(child(root, "terrain")) != rivers_first != draw(root)
    assert draw(child(child(root, "rivers"), "0")) != draw(child(child(root, "rivers"), "1"))


def test_torch_generators_follow_the_stream() -> None:
    a = torch.randn(5, generator=torch_generator(seed_sequence(3, "river/gru")))
    b = torch.randn(5, generator=torch_generator(seed_sequence(3, "river/gru")))
    c = torch.randn(5, generator=torch_generator(seed_sequence(4, "river/gru")))
    assert torch.equal(a, b) and not torch.equal(a, c)
