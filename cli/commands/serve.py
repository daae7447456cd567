"""``medialake serve`` (the playback service) and ``medialake link ITEM`` (player URLs).

The service serves HLS assets behind signed, short-lived tokens; a link carries one
token, and the player renews it while it plays.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.main import console, fail
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: settings).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: settings).")
    ] = None,
) -> None:
    """Run the playback service (HLS behind signed tokens, and the player page)."""
    try:
        settings = prepare_environment()
        from playback.server import serve as run_service
        from playback.tokens import load_key

        load_key(settings)
    except (SettingsError, ValueError) as exc:
        raise fail(str(exc)) from None
    shown = f"{host or settings.playback.host}:{port or settings.playback.port}"
    console.print(
        f"playback service on http://{shown} (assets in {settings.assets_path}); "
        "get a player link with 'medialake link ITEM'",
        highlight=False,
        soft_wrap=True,
    )
    run_service(settings, host, port)


def link(
    item: Annotated[
        str, typer.Argument(help="An asset, file or item id, or part of a title.")
    ],
) -> None:
    """Print a signed player URL for each current asset matching ITEM."""
    from playback.server import player_link
    from warehouse import hls
    from warehouse.current import warehouse
    from warehouse.db import WarehouseError

    try:
        settings = prepare_environment()
        with warehouse().read() as con:
            found = hls.find_asset(con, item)
        links = [(a["title"], player_link(settings, a["asset_id"])) for a in found]
    except (SettingsError, ValueError, WarehouseError) as exc:
        raise fail(str(exc)) from None
    except Exception as exc:
        raise fail(
            f"no assets yet ({type(exc).__name__}): run 'medialake transcode'"
        ) from None
    if not links:
        raise fail(f"no transcoded item matches {item!r}: run 'medialake transcode'", 1)
    for title, url in links:
        console.print(f"{title}\n  {url}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``link`` to the CLI."""
    app.command()(serve)
    app.command()(link)
