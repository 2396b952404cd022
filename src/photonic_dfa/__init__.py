"""photonic_dfa: circuit-level simulation of silicon-photonic direct feedback alignment."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("photonic-dfa")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
__all__ = ["__version__"]
