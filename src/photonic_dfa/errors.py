"""Errors a user can act on.

Every error the package raises on bad input derives from :class:`PhotonicDFAError`; the CLI prints
its message as one line and exits with status 2, never a traceback.
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "ConfigError",
    "DataError",
    "Interrupted",
    "LockedError",
    "PhotonicDFAError",
]


class PhotonicDFAError(Exception):
    """Base class: the message is one line that names the file, key or value and what is allowed."""


class ConfigError(PhotonicDFAError, ValueError):
    """A config file or a command-line option has an unknown key or an out-of-range value."""


class ArtifactError(PhotonicDFAError):
    """An artifact file (layout.json, spectra.npz, photonic_model.npz, checkpoint) is missing,
    corrupt, of an unknown schema version, or does not match what it is used with."""


class DataError(PhotonicDFAError):
    """Input data (MNIST files) are missing, truncated or corrupt."""


class LockedError(PhotonicDFAError):
    """An output directory is in use by another running process (its lock file names the PID)."""


class Interrupted(PhotonicDFAError):
    """The user interrupted a command (Ctrl-C); the message says what was kept and how to resume.

    The CLI prints it as ``interrupted: <message>`` and exits with status 130.
    """
