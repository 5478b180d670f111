"""No global seeding or global random draws anywhere in the package (DESIGN.md, contract 2)."""

from __future__ import annotations

import ast
from pathlib import Path

import procgen

PACKAGE = Path(procgen.__file__).parent
# numpy.random names that build explicit generators; everything else there uses global state.
EXPLICIT_NUMPY = {"Generator", "PCG64", "PCG64DXSM", "Philox", "SFC64", "SeedSequence", "BitGenerator", "default_rng"}
GLOBAL_TORCH = {"manual_seed", "seed", "initial_seed", "set_rng_state", "get_rng_state"}
# torch draws that take the global generator unless given generator=...
TORCH_DRAWS = {"rand", "randn", "randint", "randperm", "bernoulli", "multinomial", "normal", "rand_like",
               "randn_like", "randint_like"}
# Dropout layers and functions always draw from torch's global generator.
GLOBAL_DROPOUT = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "dropout", "dropout1d",
                  "dropout2d", "dropout3d", "alpha_dropout"}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def violations(source: str, filename: str = "<src>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import) and any(a.name == "random" for a in node.names):
            found.append(f"{where}: imports the global-state 'random' module")
        elif isinstance(node, ast.ImportFrom) and node.module in ("random", "numpy.random", "torch.random"):
            found.append(f"{where}: imports from {node.module}")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            parts = name.split(".")
            if len(parts) >= 3 and parts[0] in ("np", "numpy") and parts[1] == "random":
                if parts[2] not in EXPLICIT_NUMPY or (parts[2] == "default_rng" and not node.args):
                    found.append(f"{where}: {name}() uses numpy's global or OS-entropy state")
            elif parts[0] == "torch" and (parts[-1] in GLOBAL_TORCH or "cuda" in parts and "seed" in parts[-1]):
                found.append(f"{where}: {name}() touches torch's global generator")
            elif parts[0] == "torch" and parts[-1] in TORCH_DRAWS and not any(k.arg == "generator" for k in node.keywords):
                found.append(f"{where}: {name}() without generator= draws from torch's global generator")
            elif parts[-1] in GLOBAL_DROPOUT and (parts[0] in ("nn", "F") or parts[:2] == ["torch", "nn"]):
                found.append(f"{where}: {name} draws its mask from torch's global generator")
            elif parts[0] == "random" and len(parts) == 2:
                found.append(f"{where}: {name}() uses Python's global random state")
    return found


def test_the_scanner_catches_global_seeding() -> None:
    bad = "import numpy as np\nimport torch\nimport random\nnp.random.seed(0)\nx = np.random.rand(3)\n" \
          "torch.manual_seed(1)\nrandom.random()\nrng = np.random.default_rng()\n" \
          "z = torch.randn(3)\nlayer = nn.Dropout(0.5)\ny = F.dropout(x, 0.1)\n"
    assert len(violations(bad)) == 9
    assert violations("z = torch.randn(3, generator=g)\n") == []
    good = "import numpy as np\nrng = np.random.Generator(np.random.PCG64(ss))\nr = np.random.default_rng(ss)\n"
    assert violations(good) == []


def test_package_never_seeds_or_draws_globally() -> None:
    found = [v for path in sorted(PACKAGE.rglob("*.py"))
             for v in violations(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))]
    assert found == [], "\n".join(found)


def seed_arithmetic(source: str, filename: str = "<src>") -> list[str]:
    """Generators seeded by hand (``manual_seed(...)``) or streams made by arithmetic on a seed
    (``seed + 1``): training must use named child streams instead (``training_stream``)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and _dotted(node.func).endswith("manual_seed"):
            found.append(f"{where}: seeds a generator by hand")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            sides = [_dotted(node.left), _dotted(node.right)]
            if any(s.split(".")[-1] == "seed" for s in sides):
                found.append(f"{where}: arithmetic on a seed")
    return found


def test_the_seed_arithmetic_scanner_catches_both_kinds() -> None:
    bad = "g = torch.Generator().manual_seed(c.seed + 1)\nh = torch.Generator().manual_seed(0)\n"
    assert len(seed_arithmetic(bad)) == 3
    assert seed_arithmetic("g = torch_generator(training_stream(c.seed, 'batches'))\n") == []


def test_generators_train_and_sample_from_named_streams_only() -> None:
    allowed = {PACKAGE / "seeding.py"}  # torch_generator: the one place a stream becomes a torch seed
    found = [v for path in sorted((PACKAGE / "generators").rglob("*.py")) if path not in allowed
             for v in seed_arithmetic(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))]
    assert found == [], "\n".join(found)
