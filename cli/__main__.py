"""``python -m rbcc.cli``."""

from rbcc.cli import main

main()
