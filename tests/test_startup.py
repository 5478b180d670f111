"""Start-up without torch (issue 12, item 5): the catalog, lazy imports and Ctrl-C.

The commands run in fresh processes, since this test process has long since loaded torch.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import procgen
import procgen.generators
from procgen.cli.main import COMMANDS
from procgen.content import RiverPath
from procgen.generators import Generator, GeneratorConfig, registry
from procgen.generators.catalog import CATALOG

SCRIPT = Path(sys.executable).with_name("procgen")
PROCGEN = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "procgen"]
HEAVY = ("torch", "zuko", "numba", "scipy", "numpy")

# Runs procgen's main() on argv and reports which heavy top-level packages were loaded.
PROBE = f"""
import json, sys
from procgen.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --version exits from inside argparse
    code = exc.code
loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))
print("LOADED " + json.dumps({{"code": code, "loaded": loaded}}), file=sys.stderr)
"""


def probe(*argv: str, cwd: Path | None = None) -> tuple[int, set[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=cwd)
    line = next(line for line in result.stderr.splitlines() if line.startswith("LOADED "))
    report = json.loads(line.removeprefix("LOADED "))
    return report["code"], set(report["loaded"])


def python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


# ---- the static catalog ------------------------------------------------------------

def _import_every_generator_module() -> None:
    for module in pkgutil.walk_packages(procgen.generators.__path__, "procgen.generators."):
        importlib.import_module(module.name)


def test_catalog_matches_the_real_classes() -> None:
    _import_every_generator_module()  # registers every built-in class, whatever the catalog says
    builtin = {name: cls for name, cls in registry._REGISTRY.items() if cls.__module__.startswith("procgen.")}
    assert set(builtin) == set(CATALOG), "add or remove the row in procgen/generators/catalog.py"
    for name, cls in builtin.items():
        entry = CATALOG[name]
        assert (entry.name, entry.kind, entry.content, entry.description, entry.module) == (
            cls.name, cls.kind, cls.content_type.__name__, cls.description, cls.__module__), name


def test_command_help_in_the_parser_matches_each_command_class() -> None:
    for command in COMMANDS:
        cls = command.load()
        assert (cls.name, cls.help) == (command.name, command.help)


# ---- what each command loads -------------------------------------------------------

@pytest.mark.parametrize("argv,forbidden", [
    (["--version"], HEAVY),
    (["list"], HEAVY),
    (["list", "--kind", "learned"], HEAVY),
    (["info", "river/coinflip"], ("torch", "zuko", "numba")),
    (["generate", "river/coinflip", "--seed", "1", "-o", "x.png"], ("torch", "zuko", "numba")),
], ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_commands_load_no_torch(tmp_path, argv: list[str], forbidden: tuple[str, ...]) -> None:
    code, loaded = probe(*argv, cwd=tmp_path)
    assert code == 0
    assert not loaded & set(forbidden), f"procgen {' '.join(argv)} loaded {sorted(loaded & set(forbidden))}"


def test_available_lists_every_generator_without_torch() -> None:
    out = python("import json, sys, procgen; names = procgen.available(); "
                 "print(json.dumps([names, procgen.available('learned'), sorted({m.split('.')[0] for m in sys.modules})]))")
    names, learned, modules = json.loads(out)
    assert len(names) == 18 and names == sorted(CATALOG)
    assert learned == sorted(n for n, e in CATALOG.items() if e.kind == "learned")
    assert not set(modules) & {"torch", "zuko", "numba", "numpy"}


def test_a_learned_generator_loads_torch_on_first_use() -> None:
    out = python("import sys, procgen; before = 'torch' in sys.modules; g = procgen.get('river/gru'); "
                 "print(before, 'torch' in sys.modules, type(g).__name__, g.generate(1).points.shape[1])")
    assert out.split() == ["False", "True", "GruRiver", "2"]


def test_info_of_a_hand_written_name_loads_no_torch() -> None:
    out = python("import sys, procgen; i = procgen.info('landscape/fbm'); "
                 "print(i.kind, 'octaves' in i.defaults, 'torch' in sys.modules)")
    assert out.split() == ["hand-written", "True", "False"]


# ---- generators registered at run time ---------------------------------------------

@dataclass(frozen=True, kw_only=True)
class _WalkConfig(GeneratorConfig):
    pass


class _Walk(Generator[RiverPath]):
    name = "test/startup-walk"
    kind = "hand-written"
    description = "a third-party generator registered at run time"
    content_type = RiverPath
    Config = _WalkConfig

    def _generate(self, stream):
        import numpy as np

        return RiverPath(np.zeros((2, 2)))


def test_run_time_registration_sits_beside_the_catalog(monkeypatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    registry.register(_Walk)
    assert "test/startup-walk" in procgen.available() and "test/startup-walk" in procgen.available("hand-written")
    assert "test/startup-walk" not in procgen.available("learned")
    assert registry.summary("test/startup-walk").module == __name__
    assert procgen.info("test/startup-walk").content == "RiverPath"
    assert isinstance(procgen.get("test/startup-walk"), _Walk)


def test_a_built_in_name_cannot_be_taken_by_another_class(monkeypatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", {})  # as if river/coinflip were not imported yet
    impostor = type("Impostor", (_Walk,), {"name": "river/coinflip"})
    with pytest.raises(ValueError, match="built-in"):
        registry.register(impostor)


# ---- Ctrl-C ------------------------------------------------------------------------

# Seconds of work: numba compiles the erosion kernels, then erodes a 1024 x 1024 map.
SLOW = ["generate", "landscape/eroded", "--seed", "1", "--set", "width=1024", "--set", "height=1024", "-o", "x.png"]
_PROCGEN_FRAME = re.compile(r'File "[^"]*/procgen/[^"]*\.py"')


def _as_a_terminal_starts_it() -> None:
    # A shell starts a foreground command with Ctrl-C at its default action; a test process
    # may have inherited or set "ignore" (which a child would inherit across exec).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(tmp_path: Path, delay: float) -> subprocess.CompletedProcess[str]:
    child = subprocess.Popen([*PROCGEN, *SLOW], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=_as_a_terminal_starts_it)
    time.sleep(delay)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=120)
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def _before_procgen_ran(result: subprocess.CompletedProcess[str]) -> bool:
    # Python's own start-up (site, the venv's .pth files) runs before any procgen code, and
    # no program can catch a Ctrl-C there; on a busy machine it can outlast 0.05 s.
    return result.returncode != 130 and "Traceback" in result.stderr and not _PROCGEN_FRAME.search(result.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.3, 1.0])
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(tmp_path, delay: float) -> None:
    result = _interrupt(tmp_path, delay)
    for _ in range(4):
        if not _before_procgen_ran(result):
            break
        delay += 0.05
        result = _interrupt(tmp_path, delay)
    assert (result.returncode, result.stderr) == (130, "procgen: interrupted\n"), f"after {delay} s"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == [], "no output file and no .part file"
