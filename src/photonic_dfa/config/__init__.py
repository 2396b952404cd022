"""The photonic_dfa configuration: one TOML file with a section per stage.

```toml
[layout]     # geometry of the weight-bank array   (photonic_dfa.config.layout.LayoutConfig)
[circuit]    # circuit/heater models, sweeps        (photonic_dfa.config.circuit.CircuitConfig)
[model]      # channel plan, calibration, noise     (photonic_dfa.config.model.ModelConfig)
[training]   # DFA/BP training protocol             (photonic_dfa.config.training.TrainingConfig)
[run]        # what `photonic-dfa run` trains      (photonic_dfa.config.run.RunConfig)
```

Every section is optional (defaults apply); unknown sections or keys and out-of-range values fail at
load time with one line naming the file, the key, the value and what is allowed.

A top-level ``preset = "integrated" | "bench"`` starts from one of the shipped presets
(``photonic_dfa/config/presets/<name>.toml``, every value cited there) instead of the defaults; the
file's own sections then override the preset key by key.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from photonic_dfa.config._base import StageConfig, format_validation_error
from photonic_dfa.config.circuit import CircuitConfig
from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.config.model import ModelConfig
from photonic_dfa.config.run import RunConfig
from photonic_dfa.config.training import TrainingConfig
from photonic_dfa.errors import ConfigError

__all__ = [
    "PRESETS",
    "CircuitConfig",
    "Config",
    "LayoutConfig",
    "ModelConfig",
    "RunConfig",
    "TrainingConfig",
    "config_hash",
    "load_config",
    "read_toml",
    "validate_section",
]


class Config(StageConfig):
    """The whole configuration: one frozen section per stage."""

    layout: LayoutConfig = Field(default_factory=LayoutConfig)
    circuit: CircuitConfig = Field(default_factory=CircuitConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    preset: Literal["integrated", "bench"] | None = Field(
        None, description="the shipped preset the sections started from (None: the defaults)"
    )


#: the shipped presets (``presets/<name>.toml``)
PRESETS = ("integrated", "bench")


def load_config(
    path: str | os.PathLike[str] | None = None, *, preset: str | None = None, **overrides: Any
) -> Config:
    """Load a TOML config (or the defaults if ``path`` is None) and apply section overrides.

    Args:
        path: a TOML file with optional ``[layout]``, ``[circuit]``, ``[model]``, ``[training]``
            and an optional top-level ``preset``.
        preset: a shipped preset (:data:`PRESETS`) under the file's values; replaces the file's
            own ``preset`` key.
        **overrides: per section, a dict of values that replace the file's (e.g. command-line
            options): ``load_config(p, layout={"rings": 4})``. ``None`` values are ignored.

    Raises:
        ConfigError: one line naming the file, key, value and the allowed range.
    """
    source = str(path) if path is not None else ""
    data = read_toml(path) if path is not None else {}
    name = preset if preset is not None else data.pop("preset", None)
    data.pop("preset", None)
    if name is not None:
        data = _with_preset(name, data, source)
    _resolve_paths(data, Path(path).parent if path is not None else None)
    for section, values in overrides.items():
        if values is None:
            continue
        merged = dict(data.get(section, {}))
        merged.update({k: v for k, v in values.items() if v is not None})
        data[section] = merged
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source=source)) from None


def _with_preset(name: Any, data: dict[str, Any], source: str) -> dict[str, Any]:
    """The preset's sections with ``data``'s values over them, key by key."""
    if name not in PRESETS:
        where = f"{source}: " if source else ""
        raise ConfigError(
            f"{where}preset = {name!r} is not a shipped preset; use one of "
            + ", ".join(repr(p) for p in PRESETS)
        )
    text = resources.files("photonic_dfa.config").joinpath("presets", f"{name}.toml").read_text()
    merged: dict[str, Any] = tomllib.loads(text)
    for section, values in data.items():
        if isinstance(values, dict) and isinstance(merged.get(section), dict):
            merged[section] = {**merged[section], **values}
        else:
            merged[section] = values
    merged["preset"] = name
    return merged


def read_toml(path: str | os.PathLike[str], what: str = "config file") -> dict[str, Any]:
    """A TOML file (``what``: how errors name it), with one-line errors naming it."""
    source = str(path)
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{what} {source!r} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {source!r} is a directory") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{source}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); TOML files must be UTF-8"
        ) from None


#: config keys that name files, resolved relative to the config file's directory
_PATH_KEYS = {"circuit": ("coupler_in_s4p", "coupler_drop_s4p")}


def _resolve_paths(data: dict[str, Any], base: Path | None) -> None:
    for section, keys in _PATH_KEYS.items():
        values = data.get(section)
        if base is None or not isinstance(values, dict):
            continue
        for key in keys:
            value = values.get(key)
            if isinstance(value, str) and not Path(value).is_absolute():
                values[key] = str(base / value)


def validate_section(cls: type[StageConfig], values: dict[str, Any], *, section: str) -> Any:
    """Validate one section's values (e.g. built from CLI options) with a one-line error."""
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, prefix=section)) from None


def config_hash(section: StageConfig) -> str:
    """A stable sha256 of a config section's values (for provenance and stage caching)."""
    text = json.dumps(section.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
