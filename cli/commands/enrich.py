"""``medialake enrich``: probe, identify and (optionally) write back, with progress
bars;
``medialake enrich override``: settle an item by hand; ``medialake enrich review``: the
queue of items waiting for a person."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.main import console, fail, flows_ready
from medialake.progress_bars import ProgressBars
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError
from warehouse.enrichment import RUN_COUNTS

app = typer.Typer(
    help="Technical metadata (ffprobe) and identities (TMDb, MusicBrainz).",
    invoke_without_command=True,
    no_args_is_help=False,
)
ENTITIES = ("movie", "show", "episode", "album", "track")
PROVIDERS = {
    "movie": "tmdb",
    "show": "tmdb",
    "episode": "tmdb",
    "album": "musicbrainz",
    "track": "musicbrainz",
}


@app.callback()
def enrich(
    ctx: typer.Context,
    probe: Annotated[
        bool, typer.Option(help="Run ffprobe on new or changed files.")
    ] = True,
    identify: Annotated[bool, typer.Option(help="Match new or changed items.")] = True,
    writeback: Annotated[
        bool | None,
        typer.Option(
            help="Send genres and covers to the active server "
            "(default: the enrichment.writeback setting)."
        ),
    ] = None,
    redo: Annotated[
        bool, typer.Option(help="Look at everything again (cached answers).")
    ] = False,
) -> None:
    """Enrich what is new since the last run: ffprobe, TMDb, MusicBrainz."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    flows_ready()
    from flows.enrich import enrich as run_enrich

    bars = ProgressBars(
        console,
        accept=lambda label: label.startswith("enrich:"),
        describe=lambda label: label.replace(":", " "),
    )
    with bars:
        summary = run_enrich(
            probe=probe, identify=identify, writeback=writeback, redo=redo
        )
    table = Table(title=f"enrich run {summary['run_id'][:8]}: {summary['status']}")
    for name in RUN_COUNTS:
        table.add_column(name.replace("_", " "), justify="right")
    table.add_row(*(str(summary.get(n, 0)) for n in RUN_COUNTS))
    console.print(table)
    console.print(
        "Review queue: medialake enrich review (settle: medialake enrich override)"
    )


@app.command()
def override(
    entity: Annotated[str, typer.Argument(help=f"One of: {', '.join(ENTITIES)}.")],
    server: Annotated[str, typer.Argument(help="The server's name.")],
    native_id: Annotated[str, typer.Argument(help="The item's native id.")],
    provider_id: Annotated[
        str, typer.Argument(help="The TMDb or MusicBrainz id; 'none' for no match.")
    ],
    note: Annotated[
        str | None, typer.Option(help="Why (kept with the choice).")
    ] = None,
) -> None:
    """Settle an item's identity by hand; no later run overwrites it."""
    if entity not in ENTITIES:
        raise fail(f"entity must be one of: {', '.join(ENTITIES)}")
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    from tasks.context import warehouse
    from warehouse.enrichment import apply_overrides, set_override

    chosen = None if provider_id.lower() == "none" else provider_id
    with warehouse().write() as con:
        set_override(con, (entity, server, native_id), PROVIDERS[entity], chosen, note)
        apply_overrides(con, "manual")
    console.print(f"{entity} {server}/{native_id}: {chosen or 'no match'} (override)")


@app.command()
def review(limit: Annotated[int, typer.Option(help="Rows to show.")] = 30) -> None:
    """Show items waiting for review with their candidates and scores."""
    try:
        prepare_environment()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    from tasks.context import warehouse
    from warehouse.enrichment import review_queue

    with warehouse().read() as con:
        rows = review_queue(con, limit)
    table = Table(title="review queue")
    for column in (
        "entity",
        "server",
        "native id",
        "#",
        "candidate",
        "title",
        "year",
        "score",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def register(root: typer.Typer) -> None:
    """Add ``enrich`` (with ``override`` and ``review``) to the CLI."""
    root.add_typer(app, name="enrich")
