"""``python -m shelfkeeper``."""

from shelfkeeper.cli import main

main()
