"""Web articles: a page is fetched, its main text and metadata extracted with
trafilatura, and kept as a cleaned HTML archive plus Markdown.

The source (``article``) serves requests of kind ``article`` by URL. Its download
fetches the page (HTML only, at most :data:`MAX_PAGE_BYTES`), extracts the main text
without navigation, ads, comments or footers (trafilatura's ``bare_extraction``), and
writes two files into the staging folder: ``article.md`` (front matter with the
metadata, then the text as Markdown) and ``article.html``, the whole page as it was
served minus everything that runs (scripts, event handlers, ``javascript:`` links,
frames, embedded objects and forms, removed by ``lxml_html_clean``) with a
Content-Security-Policy that forbids scripts should anything be left. A page without
extractable text (fewer than :data:`MIN_WORDS` words) fails verification with a
reason the job records.

:func:`import_article` is the engine's import step for these files: both are placed
into the library in one atomic link each, beside each other, never overwriting.
"""

from __future__ import annotations

import html
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from connectors.downloads.base import DownloadSource, register
from connectors.downloads.http_file import http_client
from connectors.downloads.importer import place, render_name
from connectors.downloads.records import Candidate, Fetched, Kind
from connectors.downloads.verify import VerificationFailed

if TYPE_CHECKING:
    from connectors.downloads.base import ProgressFn
    from connectors.downloads.records import Request
    from connectors.downloads.store import JobStore
    from medialake.settings import DownloadsSettings

log = logging.getLogger(__name__)
MAX_PAGE_BYTES = 20 * 1024 * 1024
MIN_WORDS = 20
HTML_TYPES = ("text/html", "application/xhtml+xml")
ARCHIVE = "article.html"
MARKDOWN = "article.md"
_CSP = (
    '<meta http-equiv="Content-Security-Policy" content="script-src \'none\';'
    " object-src 'none'; frame-src 'none'\">"
)


@dataclass(frozen=True, slots=True)
class Article:
    """What trafilatura found in a page. ``published`` is an ISO date."""

    url: str
    title: str
    author: str | None
    published: str | None
    site: str
    language: str | None
    description: str | None
    text: str
    word_count: int


def extract(page: bytes | str, url: str) -> tuple[Article, str]:
    """The article of ``page`` and its Markdown.

    Raises:
        VerificationFailed: the page holds no main text trafilatura can find.
    """
    import trafilatura

    options: dict[str, Any] = {"url": url, "include_comments": False}
    found = trafilatura.bare_extraction(page, with_metadata=True, **options)
    doc: dict[str, Any] = {}
    if found is not None:
        doc = found if isinstance(found, dict) else found.as_dict()
    text = str(doc.get("text") or "").strip()
    words = len(text.split())
    if words < MIN_WORDS:
        raise VerificationFailed(f"no article text found in the page ({words} words)")
    markdown = trafilatura.extract(
        page, output_format="markdown", with_metadata=False, **options
    )
    host = urlsplit(url).hostname or "unknown site"

    def value(key: str) -> str | None:
        return str(doc.get(key) or "").strip() or None

    article = Article(
        url=url,
        title=value("title") or host,
        author=value("author"),
        published=value("date"),
        site=value("sitename") or host,
        language=value("language"),
        description=value("description"),
        text=text,
        word_count=words,
    )
    return article, markdown or text


def clean_archive(page: bytes | str, url: str) -> str:
    """The page as HTML with nothing that runs: no scripts, handlers, frames, forms."""
    import lxml.html
    from lxml_html_clean import Cleaner

    cleaner = Cleaner(
        scripts=True,
        javascript=True,
        comments=True,
        embedded=True,
        frames=True,
        forms=True,
        processing_instructions=True,
        style=False,
        inline_style=False,
        links=False,
        meta=False,
        page_structure=False,
        remove_unknown_tags=False,
        safe_attrs_only=False,
    )
    tree = lxml.html.document_fromstring(page)
    tree = cleaner.clean_html(tree)
    body = lxml.html.tostring(tree, encoding="unicode", method="html")
    source = json.dumps(url)[1:-1].replace("--", "- -")
    head = f'{_CSP}<base href="{html.escape(url, quote=True)}">'
    return f"<!DOCTYPE html>\n<!-- archived by medialake from {source} -->\n" + (
        body.replace("<head>", f"<head>{head}", 1) if "<head>" in body else head + body
    )


def front_matter(article: Article) -> str:
    """YAML front matter (every value a JSON string, which YAML reads as is)."""
    fields = {
        "title": article.title,
        "author": article.author,
        "date": article.published,
        "site": article.site,
        "url": article.url,
        "words": article.word_count,
    }
    lines = [f"{k}: {json.dumps(v)}" for k, v in fields.items() if v is not None]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


@register
class ArticleSource(DownloadSource):
    """Web pages whose main text is kept as an article."""

    name = "article"
    kinds = frozenset({Kind.ARTICLE})

    def reload_settings(self, settings: DownloadsSettings) -> None:
        super().reload_settings(settings)
        self.http = http_client(self.name, settings)

    def is_configured(self) -> bool:
        return True

    def check_connection(self) -> None:
        return None  # every page is its own server

    def search_raw(self, request: Request) -> list[Candidate]:
        if not request.url:
            return []
        return [
            Candidate(
                source=self.name,
                key=request.url,
                title=request.title or request.url,
                url=request.url,
                extension="html",
            )
        ]

    def download_raw(
        self, candidate: Candidate, staging: Path, progress: ProgressFn
    ) -> Fetched:
        assert candidate.url is not None
        page, url = self._fetch(candidate.url, progress)
        article, markdown = extract(page, url)
        staging.mkdir(parents=True, exist_ok=True)
        archive = staging / ARCHIVE
        archive.write_text(clean_archive(page, url), encoding="utf-8")
        text = staging / MARKDOWN
        text.write_text(front_matter(article) + markdown + "\n", encoding="utf-8")
        return Fetched(
            text,
            metadata={"article": asdict(article), "archive": str(archive)},
        )

    def _fetch(self, url: str, progress: ProgressFn) -> tuple[bytes, str]:
        done = 0
        chunks = []
        with self.http.stream("GET", url) as response:
            kind = response.headers.get("Content-Type", "").split(";")[0].strip()
            if kind.lower() not in HTML_TYPES:
                raise VerificationFailed(f"not a web page ({kind or 'no type'})")
            for chunk in response.iter_bytes(1 << 16):
                done += len(chunk)
                if done > MAX_PAGE_BYTES:
                    raise VerificationFailed("the page is larger than 20 MiB")
                chunks.append(chunk)
                progress(done, None)
            final = str(response.url)
        return b"".join(chunks), final

    def close(self) -> None:
        self.http.close()


def import_article(
    fetched: Fetched, library_root: Path, template: str
) -> tuple[Path, Path, dict[str, Any]]:
    """Place the Markdown and the archive side by side: (markdown, archive, row).

    Raises:
        VerificationFailed: the staged files are missing (the download was cut short).
    """
    meta = fetched.metadata.get("article")
    archive = Path(str(fetched.metadata.get("archive") or ""))
    if fetched.path is None or not meta or not archive.is_file():
        raise VerificationFailed("the article's files are missing from staging")
    published = str(meta.get("published") or "")
    fields = {
        "title": meta["title"],
        "artist": meta.get("author"),
        "author": meta.get("author") or "Unknown Author",
        "site": meta["site"],
        "date": published[:10] or None,
        "year": published[:4] or None,
    }
    relative = render_name(template, fields, "html")
    final_archive = place(archive, library_root, relative)
    markdown_rel = final_archive.relative_to(library_root).with_suffix(".md")
    final_markdown = place(fetched.path, library_root, markdown_rel)
    row = {**meta, "archive_path": str(final_archive)}
    row["markdown_path"] = str(final_markdown)
    return final_markdown, final_archive, row


def import_and_record(
    store: JobStore, job_id: str, fetched: Fetched, library_root: Path, template: str
) -> Path:
    """Place the article's files, then merge its row and end its job as imported in
    one transaction of the job store; the Markdown's path."""
    final, archive, row = import_article(fetched, library_root, template)
    store.finish_article(
        job_id, row,
        final_path=str(final), size=final.stat().st_size + archive.stat().st_size,
        container="article", artist=row.get("author"), title=row["title"],
        progress=1.0,
    )  # fmt: skip
    log.info("imported article %s", final.name)
    return final
