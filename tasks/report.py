"""What a flow run tells the Prefect UI: its summary as log lines and as a markdown
artifact (a table of counts, failures with reasons, the suspect reason).

Values come from tags, servers and users, so every cell is escaped: a title such as
``![x](http://host/x.png)`` shows as text and makes no browser fetch anything. Reporting
never fails the flow it reports on.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

log = logging.getLogger(__name__)
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")
MAX_ROWS = 200


def md_escape(value: object) -> str:
    """``value`` as inert markdown text: punctuation escaped, one line."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return _SPECIAL.sub(r"\\\1", text)


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A markdown table of ``rows`` (at most :data:`MAX_ROWS`; the rest counted)."""
    lines = [
        "| " + " | ".join(md_escape(c) for c in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in rows[:MAX_ROWS]:
        lines.append("| " + " | ".join(md_escape(row.get(c)) for c in columns) + " |")
    if len(rows) > MAX_ROWS:
        lines.append(f"\n{len(rows) - MAX_ROWS} more rows not shown")
    return "\n".join(lines)


def summary_markdown(
    title: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    notes: Sequence[str] = (),
) -> str:
    """The artifact's markdown: a heading, the table, then the notes."""
    return "\n\n".join(
        [f"## {md_escape(title)}", markdown_table(rows, columns)]
        + [md_escape(note) for note in notes]
    )


def publish(
    key: str,
    title: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    notes: Sequence[str] = (),
) -> str | None:
    """Log one line per row and publish the markdown artifact ``key``; return the
    markdown (None when it could not be published)."""
    markdown = summary_markdown(title, rows, columns, notes)
    try:
        from prefect.artifacts import create_markdown_artifact
        from prefect.logging import get_run_logger

        logger = get_run_logger()
        logger.info("%s", title)
        for row in rows[:MAX_ROWS]:
            logger.info("%s", ", ".join(f"{c}={row.get(c)}" for c in columns))
        for note in notes:
            logger.info("%s", note)
        create_markdown_artifact(markdown=markdown, key=key, description=title)
    except Exception as exc:  # the UI's story must not fail the run it tells
        log.warning("could not publish the %s summary: %s", key, exc)
        return None
    return markdown
