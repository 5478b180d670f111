"""A Super Mario agent no one here wrote: Robin Baumgarten's A* agent from the Mario AI
Framework, as shipped (MIT) in the ``mario-gpt==0.1.3`` wheel as
``mario_gpt/simulator/PlayAstar.jar``, run on Java 11+.

Neither the jar nor the game's levels ship with procgen (the levels are Nintendo's); the
harness finds them at run time: ``PROCGEN_MARIO_JAR`` (the jar inside an unpacked wheel),
else an installed ``mario_gpt`` package, found without importing it (its ``__init__``
pulls in transformers)::

    pip install --no-deps mario-gpt==0.1.3          # 1 MB download, 1.4 MB unpacked, no code run

    >>> from procgen.evaluate.mario_agent import play, play_many, real_smb_levels, summary
    >>> play(real_smb_levels()["smb-1-1"])  # doctest: +SKIP
    AgentResult(won=True, completion=1.0, seconds=11.4, status='WIN')

The agent plans with A* under a wall-clock budget of 40 ms per game frame, so on a loaded
machine it sees less of the search tree: a hard level can flip between WIN and LOSE from
run to run. The harness itself (padding, the level file, parsing) is deterministic, and
easy levels (flat ground, a pit) give the same status every time. The game clock allows
200 game seconds; a Mario stuck for all of them spends the full budget every frame, so a
``TIME_OUT`` run takes about 285 s of wall clock (a win on 200 columns about 11 s).

Measured here (2 shared cores, 2 agents at a time) on the 37 real levels in
``mario_gpt/level.py`` (22 Lost Levels and 15 SMB levels from the VGLC, joined into one
14 x 7294 string; Mario's path marks ``x`` read as air), padded 3 columns each side:

| 14 x 200 cut                                           | pieces | wins     | mean completion |
|--------------------------------------------------------|--------|----------|-----------------|
| joined corpus in consecutive 200-column pieces         | 36     | 12 (33%) | 54%             |
| each level in consecutive 200-column pieces            | 12     | 5 (42%)  | 65%             |
| first 200 columns of each level (shorter ones whole)   | 37     | 16 (43%) | 68%             |
| - of which SMB / Lost Levels                           | 15/22  | 11 / 5   | 80% / 59%       |

The issue's figure (11 of 36, 49%) is the first row. Cut pieces often start over a pit or
by a platform Mario cannot reach; the SMB levels the agent loses (1-3, 3-3, 5-3, 6-3) rely
on lifts, which the VGLC tile set has no character for; two Lost Levels (5-1, A-1) start
behind a brick wall Mario cannot clear and time out at 2% completion. Only 12 levels reach 200 columns.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple, Sequence

from procgen.errors import ParameterError, ProcgenError, shown

JAR_ENV = "PROCGEN_MARIO_JAR"
ROWS = 14  # the VGLC / MarioGPT level height

_HOW_TO_GET = (
    f"install it with `pip install --no-deps mario-gpt==0.1.3`, or run "
    f"`pip download --no-deps mario-gpt==0.1.3 -d DIR`, unzip the wheel in DIR and set "
    f"{JAR_ENV}=DIR/mario_gpt/simulator/PlayAstar.jar"
)
# Every tile character the agent's level reader (engine.core.MarioLevel) knows; any other
# character it silently reads as air, which would hide a bad level, so play() refuses it.
AGENT_TILES = frozenset("-!#%*12<>?@BCDEFGKLMQRSTUXY[]bgkorty|")
# VGLC characters outside that set, mapped to the agent's: ``x`` marks Mario's path in the
# "WithPaths" levels (it is air).
_VGLC_TO_AGENT = str.maketrans({"x": "-"})
_STATUS = re.compile(r"Game Status:\s*(\w+)\s+Percentage Completion:\s*(\S+)")

# The levels in mario_gpt/level.py, in order, with their VGLC widths. MarioGPT joined
# them into one 14-row string after dropping each level's first 4 columns (checked
# against the VGLC files). Names and widths only: the tiles stay in the wheel.
_LEVEL_WIDTHS = (
    [(f"smb-lost-{w}", n) for w, n in zip(
        "1-1 1-2 1-3 2-1 2-2 2-3 3-1 3-3 4-1 4-2 4-3 5-1 5-2 6-1 6-3 8-1 A-1 A-3 B-1 B-3 C-2 D-1".split(),
        (183, 223, 165, 226, 257, 172, 180, 182, 193, 201, 180, 363, 172, 244, 213, 209, 219, 160, 191, 204,
         189, 193))]
    + [(f"smb-{w}", n) for w, n in zip(
        "1-1 1-2 1-3 2-1 3-1 3-3 4-1 4-2 5-1 5-3 6-1 6-2 6-3 7-1 8-1".split(),
        (202, 158, 150, 197, 197, 149, 222, 187, 198, 150, 184, 215, 165, 176, 373))])
_DROPPED = 4
# The tags of VGLC's Super Mario Bros legend (smb.json) for the tiles of mario-gpt's levels,
# with the view VGLC leaves implicit.
SMB_LEGEND: dict[str, Any] = {"view": "side-view", "tiles": {
    "X": ["solid", "ground"], "S": ["solid", "breakable"], "-": ["passable", "empty"],
    "?": ["solid", "question block", "full question block"],
    "Q": ["solid", "question block", "empty question block"], "E": ["enemy", "damaging", "hazard", "moving"],
    "<": ["solid", "top-left pipe", "pipe"], ">": ["solid", "top-right pipe", "pipe"],
    "[": ["solid", "left pipe", "pipe"], "]": ["solid", "right pipe", "pipe"],
    "o": ["coin", "collectable", "passable"], "B": ["cannon top", "cannon", "solid", "hazard"],
    "b": ["cannon bottom", "cannon", "solid"]}}


class MarioAgentError(ProcgenError):
    """The Mario agent (Java or PlayAstar.jar) is missing, or it answered something unexpected."""


class AgentResult(NamedTuple):
    won: bool
    completion: float  # the agent's "Percentage Completion", 0..1, of the padded level; nan if killed
    seconds: float  # wall-clock time of the run
    status: str = ""  # WIN, LOSE, TIME_OUT (game clock), or KILLED (past play's timeout_s)


def _package_dir() -> Path | None:
    """The installed ``mario_gpt`` folder, found without importing it (the import pulls torch)."""
    spec = importlib.util.find_spec("mario_gpt")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def locate_agent() -> Path:
    """Path of PlayAstar.jar: ``$PROCGEN_MARIO_JAR``, else the installed ``mario_gpt`` package."""
    if os.environ.get(JAR_ENV):
        jar = Path(os.environ[JAR_ENV]).expanduser()
        if not jar.is_file():
            raise MarioAgentError(f"{JAR_ENV}={jar} is not a file; point it at PlayAstar.jar, or {_HOW_TO_GET}")
        return jar
    package = _package_dir()
    if package is not None and (package / "simulator" / "PlayAstar.jar").is_file():
        return package / "simulator" / "PlayAstar.jar"
    raise MarioAgentError(f"the Mario A* agent (PlayAstar.jar from mario-gpt 0.1.3) was not found; {_HOW_TO_GET}")


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise MarioAgentError("the Mario agent needs a Java 11+ runtime on PATH "
                              "(e.g. apt-get install openjdk-17-jre-headless)")
    return java


def _levels_file() -> Path:
    """mario_gpt/level.py: next to the jar the harness uses, else in the installed package."""
    beside_jar = locate_agent().resolve().parent.parent / "level.py"
    if beside_jar.is_file():
        return beside_jar
    package = _package_dir()
    if package is not None and (package / "level.py").is_file():
        return package / "level.py"
    raise MarioAgentError(f"mario_gpt/level.py (the real SMB levels) was not found; {_HOW_TO_GET}")


def _string_constants(path: Path) -> dict[str, str]:
    """Module-level ``NAME = "..."`` string constants of a Python file, read without running it."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return found


def _split_levels(rows: list[str]) -> dict[str, list[str]]:
    """The joined corpus cut back into its named levels; one entry if the widths do not add up."""
    widths = [width - _DROPPED for _, width in _LEVEL_WIDTHS]
    if sum(widths) != len(rows[0]):  # another mario-gpt release: do not guess the cuts
        return {"all": rows}
    levels, start = {}, 0
    for (name, _), width in zip(_LEVEL_WIDTHS, widths):
        levels[name] = [row[start:start + width] for row in rows]
        start += width
    return levels


def real_smb_corpus() -> list[str]:
    """mario-gpt's joined level corpus, 14 rows of 7294 columns, as the agent reads it (the
    ``x`` path marks become air): 37 real levels end to end."""
    path = _levels_file()
    texts = [t for t in _string_constants(path).values() if t.count("\n") == ROWS - 1]
    if not texts:
        raise MarioAgentError(f"no 14-row level string in {path}; is it mario-gpt 0.1.3?")
    rows = max(texts, key=len).translate(_VGLC_TO_AGENT).split("\n")
    if len({len(row) for row in rows}) != 1:
        raise MarioAgentError(f"the level string in {path} has rows of unequal length")
    return rows


def real_smb_levels() -> dict[str, list[str]]:
    """The real Super Mario Bros levels of mario-gpt, name to 14 equal-length rows: 22 Lost
    Levels (``smb-lost-1-1`` ...) and 15 SMB levels (``smb-1-1`` ...) of 145-369 columns."""
    return _split_levels(real_smb_corpus())


def pieces(rows: Sequence[str], width: int = 200) -> list[list[str]]:
    """Consecutive, non-overlapping ``width``-column pieces of a level (a shorter tail is dropped)."""
    return [[row[x:x + width] for row in rows] for x in range(0, len(rows[0]) - width + 1, width)]


def _check(level_rows: Sequence[str]) -> list[str]:
    rows = [row.translate(_VGLC_TO_AGENT) for row in level_rows]
    if len(rows) < 2 or len({len(row) for row in rows}) != 1 or not rows[0]:
        raise MarioAgentError(f"a level is at least 2 rows of one non-zero length; got rows of lengths "
                              f"{sorted({len(row) for row in rows})} ({len(rows)} rows)")
    unknown = sorted(set("".join(rows)) - AGENT_TILES)
    if unknown:
        raise MarioAgentError(f"tiles {''.join(unknown)!r} are not in the agent's tile set "
                              f"{''.join(sorted(AGENT_TILES))!r}; map them to those first")
    return rows


def _ground_depth(rows: list[str]) -> int:
    """How many rows of ground ``X`` the level usually has at the bottom (at least 1)."""
    depths = [len(col) - len(col.rstrip("X")) for col in map("".join, zip(*rows))]
    depths = [d for d in depths if d]
    return Counter(depths).most_common(1)[0][0] if depths else 1


def padded(level_rows: Sequence[str], pad: int = 3) -> list[str]:
    """The level with ``pad`` columns of flat ground at both ends: the agent starts Mario on
    the floor of column 0 and puts the exit on the last column, so both must have ground."""
    if not isinstance(pad, int) or pad < 0:
        raise ParameterError(f"pad is a count of columns, an int >= 0; got {shown(pad)}")
    rows = _check(level_rows)
    depth = _ground_depth(rows)
    column = ["-"] * (len(rows) - depth) + ["X"] * depth
    return [tile * pad + row + tile * pad for row, tile in zip(rows, column)]


def _parse(output: str, seconds: float) -> AgentResult:
    match = _STATUS.search(output)
    if match is None:
        raise MarioAgentError(f"the Mario agent printed no 'Game Status' line; its output ended: {output[-500:]!r}")
    return AgentResult(match[1] == "WIN", float(match[2]), seconds, match[1])


def play(level_rows: Sequence[str], *, timeout_s: float = 400, pad: int = 3) -> AgentResult:
    """Let the A* agent play a level (rows of VGLC / Mario AI characters, top row first).

    Runs ``java -jar PlayAstar.jar LEVEL norender IMG/`` in a temporary folder that is
    removed afterwards. A run past ``timeout_s`` is killed and reported as ``KILLED`` with an
    unknown (nan) completion; the default leaves room for the game's own ``TIME_OUT``."""
    command = [_java(), "-XX:-UsePerfData", "-jar", str(locate_agent().resolve())]  # no hsperfdata file
    level = "\n".join(padded(level_rows, pad))
    with tempfile.TemporaryDirectory(prefix="procgen-mario-") as folder:
        (Path(folder) / "level.txt").write_text(level, encoding="ascii")
        (Path(folder) / "img").mkdir()
        start = time.perf_counter()
        try:
            done = subprocess.run([*command, "level.txt", "norender", "img/"], cwd=folder, capture_output=True,
                                  text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return AgentResult(False, float("nan"), time.perf_counter() - start, "KILLED")
        return _parse(done.stdout + done.stderr, time.perf_counter() - start)


def play_many(levels: Sequence[Sequence[str]], *, workers: int = 2, timeout_s: float = 400,
              pad: int = 3) -> list[AgentResult]:
    """``play`` on each level, ``workers`` Java processes at a time (at most the CPU count);
    results in the order of ``levels``. The agent's per-frame time budget is wall clock, so
    more workers than free cores make it weaker."""
    workers = max(1, min(workers, os.cpu_count() or 1, len(levels) or 1))
    with ThreadPoolExecutor(workers) as pool:  # threads only wait: each run is its own process
        return list(pool.map(lambda level: play(level, timeout_s=timeout_s, pad=pad), levels))


class Summary(NamedTuple):
    levels: int
    wins: int
    win_rate: float
    mean_completion: float  # over the runs that finished
    killed: int


def summary(results: Sequence[AgentResult]) -> Summary:
    """Wins, win rate and mean completion of a batch of runs."""
    finished = [r.completion for r in results if r.status != "KILLED"]
    wins = sum(r.won for r in results)
    return Summary(len(results), wins, wins / len(results) if results else float("nan"),
                   sum(finished) / len(finished) if finished else float("nan"), len(results) - len(finished))
