"""Frozen, keyword-only generator configs, validated on construction.

A config field is declared with :func:`param`, which records its help text and bounds.
The base class checks types and bounds from that metadata, so every generator gets the
same clear errors and the registry tests can probe every parameter.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import MISSING, dataclass, field, fields, replace
from numbers import Integral, Real
from typing import Any, ClassVar, Iterator, TypeVar, get_type_hints

import numpy as np

from procgen.errors import ContentError, ParameterError, shown

T = TypeVar("T", bound="GeneratorConfig")

_SCALARS = (int, float, bool, str)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def param(default: Any, help: str, *, ge: float | None = None, le: float | None = None,
          gt: float | None = None, lt: float | None = None, choices: tuple[str, ...] | None = None) -> Any:
    """A config field with a default, one line of help, and optional bounds or choices."""
    bounds = {"ge": ge, "le": le, "gt": gt, "lt": lt, "choices": choices}
    return field(default=default, metadata={"help": help, **{k: v for k, v in bounds.items() if v is not None}})


@dataclass(frozen=True)
class ParamSpec:
    """What the registry shows about one parameter."""

    name: str
    type: type
    default: Any
    help: str
    bounds: dict[str, Any]

    def describe_bounds(self) -> str:
        ops = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
        parts = [f"{ops[k]} {self.bounds[k]}" for k in ops if k in self.bounds]
        if "choices" in self.bounds:
            parts.append("one of " + ", ".join(self.bounds["choices"]))
        return ", ".join(parts)

    def parse(self, text: str) -> Any:
        """Read a value given as text (``--set key=value`` on the command line)."""
        try:
            if self.type is bool:
                lowered = text.strip().lower()
                if lowered in _TRUE | _FALSE:
                    return lowered in _TRUE
                raise ValueError
            return self.type(text.strip()) if self.type is not str else text
        except ValueError:
            raise ParameterError(f"parameter {self.name} expects {self.type.__name__}, got {shown(text)}") from None


@dataclass(frozen=True, kw_only=True)
class GeneratorConfig:
    """Base of every generator's config. Subclasses are frozen, keyword-only dataclasses."""

    generator_name: ClassVar[str] = "generator"

    def __post_init__(self) -> None:
        for spec in self.params().values():
            object.__setattr__(self, spec.name, _checked(spec, getattr(self, spec.name)))
        self.validate()

    def validate(self) -> None:
        """Cross-parameter checks; raise ParameterError. Per-field bounds are already checked."""

    @classmethod
    def params(cls) -> dict[str, ParamSpec]:
        hints = get_type_hints(cls)
        specs = {}
        for f in fields(cls):
            kind = hints[f.name]
            if kind not in _SCALARS:
                raise TypeError(f"{cls.__name__}.{f.name}: config fields are int, float, bool or str")
            default = f.default if f.default is not MISSING else None
            bounds = {k: v for k, v in f.metadata.items() if k != "help"}
            specs[f.name] = ParamSpec(f.name, kind, default, f.metadata.get("help", ""), bounds)
        return specs

    @classmethod
    def spec(cls, name: str) -> ParamSpec:
        """The parameter ``name``; a ParameterError lists the known ones."""
        known = cls.params()
        if name not in known:
            raise ParameterError(f"{cls.generator_name} has no parameter {name}; "
                                 f"its parameters are {', '.join(known) or '(none)'}")
        return known[name]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.params()}

    def replace(self: T, **changes: Any) -> T:
        """A copy with ``changes`` applied; unknown names raise a ParameterError listing the known ones."""
        for name in changes:
            self.spec(name)
        return replace(self, **changes) if changes else self

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        if not isinstance(data, dict):
            raise ParameterError(f"{cls.generator_name} config must be an object, got {type(data).__name__}")
        return cls().replace(**data)


def _checked(spec: ParamSpec, value: Any) -> Any:
    where = f"parameter {spec.name}"
    if spec.type is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise ParameterError(f"{where} must be true or false, got {shown(value)}")
        return bool(value)
    if spec.type is str:
        if not isinstance(value, str):
            raise ParameterError(f"{where} must be text, got {shown(value)}")
        choices = spec.bounds.get("choices")
        if choices and value not in choices:
            raise ParameterError(f"{where} must be one of {', '.join(choices)}, got {shown(value)}")
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral if spec.type is int else Real):
        raise ParameterError(f"{where} must be {'an int' if spec.type is int else 'a number'}, got {shown(value)}")
    try:
        number = spec.type(value)
    except OverflowError:  # an int past the float range
        number = math.inf
    if spec.type is float and not math.isfinite(number):
        raise ParameterError(f"{where} must be finite, got {shown(value)}")
    bounds = spec.bounds
    ok = (("ge" not in bounds or number >= bounds["ge"]) and ("le" not in bounds or number <= bounds["le"])
          and ("gt" not in bounds or number > bounds["gt"]) and ("lt" not in bounds or number < bounds["lt"]))
    if not ok:
        raise ParameterError(f"{where} must be {spec.describe_bounds()}, got {shown(value)}")
    return number


@contextlib.contextmanager
def numeric_guard(name: str, config: GeneratorConfig) -> Iterator[None]:
    """Generate with ``name``'s ``config`` quietly, blaming changed parameters for bad results.

    Values within bounds can still overflow (a step of 1e308 walks to infinity): numpy would
    print warnings, and the content's own checks would reject the result (non-finite points)
    as if a file were broken. With parameters changed from their defaults that is a
    ParameterError naming them; with none changed the error stays what it was.
    """
    try:
        with np.errstate(all="ignore"):
            yield
    except (ContentError, OverflowError) as exc:
        defaults = {key: spec.default for key, spec in config.params().items()}
        changed = {k: v for k, v in config.to_dict().items() if v != defaults[k]}
        if not changed:
            raise
        settings = ", ".join(f"{k}={shown(v)}" for k, v in changed.items())
        raise ParameterError(f"{name} with {settings} made no valid content ({exc}); "
                             f"use values closer to the defaults (procgen info {name})") from None
