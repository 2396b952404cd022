"""``python -m photonic_dfa`` = the ``photonic-dfa`` command."""

from photonic_dfa.cli import main

main()
