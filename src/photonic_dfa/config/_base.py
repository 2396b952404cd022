"""Base class of the config sections and the one-line formatting of validation errors."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

__all__ = ["StageConfig", "format_validation_error"]


class StageConfig(BaseModel):
    """A frozen config section: unknown keys are rejected, values validated at load time.

    ``replaced_keys``: keys a section no longer has, each with what replaced it; a config that
    still sets one fails naming the key and its replacement (not just "unknown key")."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
    replaced_keys: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _no_replaced_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, instead in cls.replaced_keys.items():
                if key in data:
                    raise ValueError(f"{key!r} was replaced: {instead}")
        return data


def format_validation_error(exc: ValidationError, *, prefix: str = "", source: str = "") -> str:
    """One line per problem, naming ``source``, the dotted key, the value and what is allowed."""
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        where = f"{source}: " if source else ""
        if err["type"] == "extra_forbidden":
            lines.append(f"{where}unknown key {key!r}")
            continue
        value = err.get("input")
        msg = err["msg"].removeprefix("Value error, ")
        if isinstance(value, dict):  # a check across several keys of a section
            lines.append(f"{where}[{key}] {msg}")
        else:
            lines.append(f"{where}{key} = {value!r}: {msg}")
    return "; ".join(lines)
