"""Golden content hashes: what each registered generator makes for three seeds.

A change to these is a change to what players' shared seeds produce: make it on purpose,
note it in docs/CHANGELOG.md, and regenerate with

    python tests/golden_hashes.py --update

Never regenerate them because a machine gives other digests: that is a portability bug
(see docs/ARCHITECTURE.md, "Seeds on every CPU"). To see every generator's digests under
every kernel set this machine can emulate, run

    python tests/golden_hashes.py --portability
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

GOLDEN_FILE = Path(__file__).with_name("golden_hashes.json")
GOLDEN_SEEDS = (0, 42, "mossy-canyon")

# numpy dispatch targets to switch off to emulate an older CPU (numpy's baseline stays on).
_NUMPY_AVX512 = "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"
_NUMPY_AVX2 = "AVX AVX2 FMA3 F16C " + _NUMPY_AVX512


def compute(name: str) -> dict[str, str]:
    import procgen

    generator = procgen.get(name)
    return {str(seed): generator.generate(seed).digest() for seed in GOLDEN_SEEDS}


def load() -> dict[str, dict[str, str]]:
    return json.loads(GOLDEN_FILE.read_text()) if GOLDEN_FILE.exists() else {}


def kernel_sets(has_avx512: bool) -> dict[str, dict[str, str]]:
    """Environments that make torch, MKL and numpy pick other float kernels, by label.

    ``ATEN_CPU_CAPABILITY`` switches torch's own kernels, ``MKL_ENABLE_INSTRUCTIONS`` the
    BLAS ones and ``NPY_DISABLE_CPU_FEATURES`` numpy's; each at 1 and 2 threads.
    """
    cpus = {
        "default": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                    "NPY_DISABLE_CPU_FEATURES": _NUMPY_AVX2},
        "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                 "NPY_DISABLE_CPU_FEATURES": _NUMPY_AVX512},
    }
    if has_avx512:
        cpus["avx512"] = {"ATEN_CPU_CAPABILITY": "avx512"}
    return {f"{label}, {threads} thread{'s' if threads > 1 else ''}": {
                **kernels, "PROCGEN_TEST_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
                "MKL_NUM_THREADS": str(threads), "NUMBA_NUM_THREADS": str(threads)}
            for label, kernels in cpus.items() for threads in (1, 2)}


def has_avx512() -> bool:
    import torch

    return torch.backends.cpu.get_cpu_capability() == "AVX512"


def compute_in_subprocess(env: dict[str, str], names: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Every generator's golden digests, computed in a fresh process with ``env`` added."""
    script = [sys.executable, str(Path(__file__).resolve()), "--json", *(names or [])]
    out = subprocess.run(script, capture_output=True, text=True, env={**os.environ, **env}, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"digest subprocess failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def _print_json(names: list[str]) -> None:
    import procgen
    import torch

    torch.set_num_threads(int(os.environ.get("PROCGEN_TEST_THREADS", "1")))
    print(json.dumps({name: compute(name) for name in names or procgen.available()}))


def _portability_table() -> None:
    golden = load()
    sets = kernel_sets(has_avx512())
    results = {label: compute_in_subprocess(env) for label, env in sets.items()}
    print("| generator | " + " | ".join(sets) + " |")
    print("|---|" + "---|" * len(sets))
    for name in sorted(golden):
        cells = ["= golden" if results[label].get(name) == golden[name] else "DIFFERS" for label in sets]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    import procgen

    if "--json" in sys.argv:
        _print_json([a for a in sys.argv[1:] if a != "--json"])
    elif "--portability" in sys.argv:
        _portability_table()
    elif "--update" in sys.argv:
        GOLDEN_FILE.write_text(json.dumps({n: compute(n) for n in procgen.available()}, indent=2) + "\n")
        print(f"wrote {GOLDEN_FILE}")
    else:
        print(json.dumps({name: compute(name) for name in procgen.available()}, indent=2))
