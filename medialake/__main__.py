"""``python -m medialake``: the same as the ``medialake`` command."""

from medialake.cli import main

main()
