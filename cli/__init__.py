"""The ``medialake`` command line: the roof of the house (DESIGN.md section 1).

:mod:`cli.main` is the entry point (the ``medialake`` console script, or
``python -m cli``); :mod:`cli.commands` holds one module per area of subcommands. The
CLI imports flows, job control and the services; nothing imports the CLI.
"""
