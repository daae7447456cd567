"""``python -m cli.warm``: import what ``medialake sync`` imports, and nothing more, so
Python writes the bytecode cache of those modules; it runs no flow and contacts no
server.

``make demo`` runs it while the Prefect server starts and the sample is written (a
2-core machine has a core free then), so its first sync does not compile Prefect's
client, the flows and the connectors one after the other on one core. Python writes
the cache only where ``PYTHONDONTWRITEBYTECODE`` is unset (the demo unsets it).
"""

from __future__ import annotations

import importlib

# Imported by `medialake sync` and by the flow run it starts (Prefect's engines and
# client; the filesystem server of the sample).
SYNC_MODULES = (
    "cli.commands.library",
    "flows.library_sync",
    "connectors.media_servers.filesystem.client",
    "connectors.media_servers.filesystem.scan",
    "prefect.flow_engine",
    "prefect.task_engine",
    "prefect.client.orchestration",
)


def main() -> None:
    from cli.main import _skip_pandas
    from medialake.runtime import prepare_environment

    _skip_pandas(["sync"])  # as the sync's own process does: pandas stays uncompiled
    prepare_environment()  # Prefect's home in the data folder, as for the sync
    for name in SYNC_MODULES:
        importlib.import_module(name)


if __name__ == "__main__":
    main()
