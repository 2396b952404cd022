"""photonic_dfa: circuit-level simulation of silicon-photonic direct feedback alignment."""

__version__ = "0.1.0"
__all__ = ["__version__"]
