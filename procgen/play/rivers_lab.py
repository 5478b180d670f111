"""River lab: one seed through a hand-written and a learned river generator, side by side.

Pure state (no pygame). Each side has a list of models, the one shown, and parameter
changes per model; samples and held-out log-likelihoods are made by worker jobs and
cached by key, so flipping back to a model shows it at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Sequence

import procgen
from procgen.assets import model_folder
from procgen.content import RiverPath
from procgen.errors import ProcgenError
from procgen.evaluate.likelihood import HeldOutNLL, has_density, heldout_nll
from procgen.play.controls import SeedEntry, describe, next_seed, random_seed
from procgen.play.worker import Done, Job

KEYS = {"space": "next-seed", "right": "next-seed", "left": "prev-seed", "n": "new-seed", "s": "type-seed",
        "1": "left-model", "2": "right-model", "tab": "switch-side", "p": "next-param", "up": "increase",
        "down": "decrease", "x": "reset-params", "f12": "screenshot", "escape": "quit"}
LETTERS = {"R": "next-seed", "L": "prev-seed", "N": "new-seed", "S": "type-seed", "1": "left-model",
           "2": "right-model", "T": "switch-side", "P": "next-param", "U": "increase", "D": "decrease",
           "X": "reset-params", "F": "screenshot", "Q": "quit"}
HELD: frozenset[str] = frozenset()
HINTS = ("Space/arrows seed  N random  S type seed  1/2 models  Tab side  P parameter  "
         "Up/Down change  X reset  F12 screenshot  Esc quit")

# Parameters worth turning live, by generator; ints double or halve, floats move by the step.
TWEAKS: dict[str, dict[str, float]] = {
    "river/coinflip": {"steps": 2, "turn_angle": 5.0, "p_left": 0.05, "turn_noise": 5.0},
    "river/meander": {"steps": 2, "phi": 0.05, "sigma": 1.0, "mean_turn": 1.0},
    "river/downhill": {"size": 2, "scale": 8.0, "sea_level": 0.05},
    "river/gru": {"steps": 2, "sinuosity": 0.5, "temperature": 0.1},
    "river/rcurve": {"steps": 2, "variation": 0.5, "roughness": 0.25},
}
DEFAULT_TWEAKS = {"steps": 2.0}
HELDOUT_RIVERS = 32  # enough for a stable figure, quick enough to recompute on a change
MAX_INT = 8192  # steps beyond this draw slowly and show nothing new


def river_models(kind: str) -> list[str]:
    """Registered river generators of ``kind`` ('hand-written' or 'learned'), plus the shipped
    fitted hand-written models (folders), so both kinds meet on the same held-out data."""
    names = [n for n in procgen.available(kind) if procgen.info(n).content == "RiverPath"]
    if kind == "hand-written":
        names += [str(model_folder(f"{n}-fitted")) for n in list(names) if model_folder(f"{n}-fitted").is_dir()]
    return names


def short_name(model: str) -> str:
    """A model as the HUD shows it: a registered name, or a folder's last part."""
    return model if model in procgen.available() else model.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Sample:
    """One drawn river with its statistics and the config that drew it."""

    path: RiverPath
    sinuosity: float
    config: Any  # the generator's GeneratorConfig
    generator: str  # registered name of its class


def sinuosity(path: RiverPath) -> float:
    """Path length over the straight distance between its ends (1 = straight)."""
    chord = math.dist(path.points[0], path.points[-1])
    return path.length / chord if chord > 0 else math.inf


@dataclass
class Side:
    """One half of the screen: the models it cycles through and what it shows."""

    models: list[str]
    index: int = 0
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # per model
    param_index: int = 0

    @property
    def model(self) -> str:
        return self.models[self.index]

    def changes(self) -> dict[str, Any]:
        return self.overrides.get(self.model, {})


class Models:
    """Loaded generators by model name (worker thread only) and the held-out rivers."""

    def __init__(self, built: dict[str, procgen.Generator] | None = None) -> None:
        self._built = dict(built or {})
        self._holdout: list[RiverPath] | None = None

    def generator(self, model: str, changes: dict[str, Any]) -> procgen.Generator:
        if model not in self._built:
            self._built[model] = procgen.get(model)
        return self._built[model].with_params(**changes)

    def sample(self, model: str, changes: dict[str, Any], seed: int) -> Sample:
        generator = self.generator(model, changes)
        path = generator.generate(seed)
        return Sample(path, sinuosity(path), generator.config, generator.name)

    def nll(self, model: str, changes: dict[str, Any]) -> HeldOutNLL | None:
        """Held-out NLL on the first rivers of the shipped holdout split; None without a density."""
        generator = self.generator(model, changes)
        if not has_density(generator):
            return None
        if self._holdout is None:
            from procgen.datasets.rivers import load_rivers

            self._holdout = load_rivers(split="holdout").subset(range(HELDOUT_RIVERS)).paths()
        return heldout_nll(generator, self._holdout)


def _key(changes: dict[str, Any]) -> tuple:
    return tuple(sorted(changes.items()))


class RiverLabState:
    """Seed, two sides, their samples and held-out figures, the parameter being edited."""

    def __init__(self, seed: int, left: Sequence[str], right: Sequence[str], *, left_index: int = 0,
                 right_index: int = 0, models: Models | None = None, label: str = "") -> None:
        self.seed, self.label = seed, label
        self.sides = (Side(list(left), left_index), Side(list(right), right_index))
        self.active = 0  # the side whose parameters Up/Down change
        self.entry = SeedEntry()
        self.message = ""
        self.done = False
        self.samples: dict[tuple, Sample] = {}
        self.nlls: dict[tuple, HeldOutNLL | None | str] = {}  # str: why there is no figure
        self._models = models or Models()
        self._jobs: list[Job] = []
        self._asked: dict[str, tuple] = {}  # worker slot -> the key last asked of it
        self.refresh()

    # -- what is shown ---------------------------------------------------------------
    def sample_key(self, side: int) -> tuple:
        s = self.sides[side]
        return ("river", s.model, _key(s.changes()), self.seed)

    def nll_key(self, side: int) -> tuple:
        s = self.sides[side]
        # The held-out figure does not depend on how long the drawn rivers are.
        changes = {k: v for k, v in s.changes().items() if k not in ("steps", "size")}
        return ("nll", s.model, _key(changes))

    def shown(self, side: int) -> Sample | None:
        return self.samples.get(self.sample_key(side))

    def nll(self, side: int) -> HeldOutNLL | None | str:
        return self.nlls.get(self.nll_key(side), "computing...")

    @property
    def generating(self) -> bool:
        return any(self.shown(i) is None for i in (0, 1))

    def refresh(self) -> None:
        """Ask the worker for whatever the two sides show and the caches lack."""
        for i, side in enumerate(self.sides):
            key = self.sample_key(i)
            if key not in self.samples and key not in self._asked.values():
                self._ask(Job(f"river-{i}", key, partial(self._models.sample, side.model, side.changes(), self.seed),
                              label=f"drawing {short_name(side.model)}, seed {self.seed}"))
        for i, side in enumerate(self.sides):
            key = self.nll_key(i)
            if key not in self.nlls and key not in self._asked.values():
                self._ask(Job(f"nll-{i}", key, partial(self._models.nll, side.model, dict(key[2])),
                              label=f"scoring {short_name(side.model)} on held-out rivers"))

    def _ask(self, job: Job) -> None:
        # A newer job replaces a queued one in its slot, so only the last ask per slot counts.
        self._asked[job.slot] = job.key
        self._jobs.append(job)

    def jobs(self) -> list[Job]:
        jobs, self._jobs = self._jobs, []
        return jobs

    def deliver(self, done: Done) -> None:
        self._asked = {slot: key for slot, key in self._asked.items() if key != done.key}
        cache = self.samples if done.key[0] == "river" else self.nlls
        if done.error is not None:
            self.message = f"{short_name(done.key[1])}: {describe(done.error)}"
            if done.key[0] == "nll":
                self.nlls[done.key] = "no figure (error)"
            return
        cache[done.key] = done.value
        self.refresh()  # a replaced job's key may still be wanted

    # -- input -------------------------------------------------------------------------
    def handle(self, action: str) -> None:
        if action.startswith("entry-"):
            self._entry_action(action)
            return
        simple: dict[str, Callable[[], None]] = {
            "next-seed": lambda: self._set_seed(next_seed(self.seed)),
            "prev-seed": lambda: self._set_seed(next_seed(self.seed, -1)),
            "new-seed": lambda: self._set_seed(random_seed()),
            "type-seed": self.entry.open,
            "left-model": lambda: self._cycle(0),
            "right-model": lambda: self._cycle(1),
            "switch-side": self._switch_side,
            "next-param": self._next_param,
            "increase": lambda: self._tweak(+1),
            "decrease": lambda: self._tweak(-1),
            "reset-params": self._reset,
            "quit": self._quit,
        }
        if action in simple:
            simple[action]()
            self.refresh()

    def _quit(self) -> None:
        self.done = True

    def _entry_action(self, action: str) -> None:
        chosen = self.entry.handle(action)
        if chosen is not None:
            self._set_seed(*chosen)
            self.refresh()

    def type_text(self, text: str) -> None:
        if self.entry.active:
            self.entry.type(text)

    def update(self, dt: float, held: Any = ()) -> None:
        """Nothing moves on its own in the lab; results arrive through ``deliver``."""

    def _set_seed(self, seed: int, label: str = "") -> None:
        self.seed, self.label, self.message = seed, label, ""

    def _cycle(self, side: int) -> None:
        s = self.sides[side]
        s.index = (s.index + 1) % len(s.models)
        s.param_index = 0
        self.active = side
        self.message = ""

    def _switch_side(self) -> None:
        self.active = 1 - self.active

    def tweakable(self, side: int) -> list[str]:
        """Parameters Up/Down can change on ``side`` (known once its model has drawn once)."""
        sample = self.shown(side)
        if sample is None:
            return []
        table = TWEAKS.get(sample.generator, DEFAULT_TWEAKS)
        return [name for name in table if name in sample.config.to_dict()]

    def param(self, side: int) -> str | None:
        names = self.tweakable(side)
        return names[self.sides[side].param_index % len(names)] if names else None

    def _next_param(self) -> None:
        self.sides[self.active].param_index += 1

    def _tweak(self, sign: int) -> None:
        side, sample = self.sides[self.active], self.shown(self.active)
        name = self.param(self.active)
        if sample is None or name is None:
            self.message = "wait for the river to be drawn, then change its parameters"
            return
        value = getattr(sample.config, name)
        step = TWEAKS.get(sample.generator, DEFAULT_TWEAKS)[name]
        new = min(MAX_INT, max(1, value * 2 if sign > 0 else value // 2)) if isinstance(value, int) \
            else round(value + sign * step, 6)
        try:
            sample.config.replace(**{name: new})  # checks bounds here, before any work
        except ProcgenError as exc:
            self.message = str(exc)
            return
        side.overrides[side.model] = {**side.changes(), name: new}
        self.message = ""

    def _reset(self) -> None:
        side = self.sides[self.active]
        side.overrides.pop(side.model, None)
        side.param_index = 0

    def hud_lines(self) -> list[str]:
        seed = f"seed {self.seed}" + (f" ('{self.label}')" if self.label and self.label != str(self.seed) else "")
        return [seed] + ([self.message] if self.message else [])

    def side_lines(self, side: int) -> list[str]:
        """Statistics under one panel."""
        s, sample, nll = self.sides[side], self.shown(side), self.nll(side)
        kind = "hand-written" if side == 0 else "learned"
        lines = [f"{short_name(s.model)}  ({kind}, {s.index + 1}/{len(s.models)}: key {side + 1})"]
        if sample is None:
            return lines + ["drawing..."]
        lines.append(f"{len(sample.path)} points, length {sample.path.length:.1f}, sinuosity {sample.sinuosity:.3f}")
        if isinstance(nll, HeldOutNLL):
            lines.append(f"held-out log-likelihood {-nll.nats_per_step:+.3f} ± {nll.stderr:.3f} nats/step "
                         f"({nll.paths} rivers)")
        else:
            lines.append("held-out log-likelihood: " + (nll if isinstance(nll, str) else "none (no turn density)"))
        name = self.param(side)
        if name is not None:
            marker = ">" if side == self.active else " "
            lines.append(f"{marker} {name} = {getattr(sample.config, name)}   (P next, Up/Down change)")
        return lines

