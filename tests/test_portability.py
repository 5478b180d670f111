"""Same seed, same content on every CPU: the golden hashes under other float kernels.

One machine stands in for many: each kernel set runs every generator in a fresh process
with torch's kernels switched by ``ATEN_CPU_CAPABILITY`` (default, avx2, and avx512 where
the CPU has it), MKL's by ``MKL_ENABLE_INSTRUCTIONS`` and numpy's by
``NPY_DISABLE_CPU_FEATURES``, at 1 and 2 threads. Every digest must equal the committed
golden one: the hashes are never re-recorded for a machine (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from golden_hashes import compute_in_subprocess, has_avx512, kernel_sets, load

SETS = kernel_sets(has_avx512())


@pytest.fixture(scope="module")
def digests() -> dict[str, dict[str, dict[str, str]]]:
    # Two processes at a time: each is one thread's worth of work, and CI machines have two cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {label: pool.submit(compute_in_subprocess, env) for label, env in SETS.items()}
        return {label: future.result() for label, future in futures.items()}


def test_the_kernel_sets_cover_the_cpus_the_wheels_support() -> None:
    labels = " ".join(SETS)
    assert "default, 1 thread" in labels and "avx2, 2 threads" in labels
    assert ("avx512, 1 thread" in labels) == has_avx512()


@pytest.mark.slow
@pytest.mark.parametrize("label", list(SETS))
def test_every_generator_gives_its_golden_digests_under(label: str, digests) -> None:
    golden = load()
    got = digests[label]
    assert set(got) == set(golden), "every registered generator has golden hashes"
    differing = sorted(name for name in golden if got[name] != golden[name])
    assert not differing, (f"under {label} these generators make other content for shared seeds: "
                           f"{', '.join(differing)}. Fix the portable path; never re-record the hashes "
                           "for a machine (docs/ARCHITECTURE.md)")
