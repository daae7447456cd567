"""``python -m cli``: the same as the ``medialake`` command."""

from cli.main import main

main()
