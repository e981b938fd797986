"""``python -m shelfkeeper``."""

from shelfkeeper.serving import main

main()
