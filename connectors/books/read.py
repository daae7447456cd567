"""Reading a book file's metadata: EPUB from its OPF package document, PDF from its
document information dictionary (pypdf).

EPUB: the OPF file named by ``META-INF/container.xml`` is parsed with lxml (no network,
no entity expansion): ``dc:title``, every ``dc:creator`` (authors; EPUB 2
``opf:role="aut"`` or no role, EPUB 3 ``role`` refinements), ``dc:language``,
``dc:publisher``, ``dc:date``, every ``dc:identifier`` (scheme from ``opf:scheme`` or a
``urn:isbn:``-style prefix), and the series from calibre's ``calibre:series`` /
``calibre:series_index`` metas or EPUB 3's ``belongs-to-collection`` with its
``group-position``. Only the OPF is read, not the book's content (ebooklib would load
every item of the book for the same fields).

PDF: ``/Title``, ``/Author`` (split on ``;``, ``&`` and `` and ``), ``/Subject``,
the creation date and the page count. A file that cannot be read raises
:class:`BookUnreadable` with the reason; the scan records it on the book's row.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

OPF_NS = "http://www.idpf.org/2007/opf"
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTAINER_NS = "urn:oasis:names:tc:opendocument:xmlns:container"
FORMATS = ("epub", "pdf")
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|&|\band\b)\s*")
_ISBN = re.compile(r"^(?:97[89])?\d{9}[\dXx]$")


class BookUnreadable(Exception):
    """The file is not a readable EPUB or PDF; the message says why."""


@dataclass(slots=True)
class BookMeta:
    """What a book file says about itself."""

    format: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    series: str | None = None
    series_index: float | None = None
    publisher: str | None = None
    published: str | None = None
    identifiers: dict[str, str] = field(default_factory=dict)
    pages: int | None = None

    @property
    def isbn(self) -> str | None:
        """The first ISBN among the identifiers (scheme ``isbn`` or ISBN-shaped)."""
        if self.identifiers.get("isbn"):
            return self.identifiers["isbn"]
        for value in self.identifiers.values():
            digits = value.replace("-", "")
            if _ISBN.match(digits):
                return digits
        return None


def read_book(path: Path) -> BookMeta:
    """The metadata of an EPUB or PDF file.

    Raises:
        BookUnreadable: not a readable EPUB/PDF (the reason in the message).
    """
    kind = path.suffix.lower().lstrip(".")
    if kind == "epub":
        return read_epub(path)
    if kind == "pdf":
        return read_pdf(path)
    raise BookUnreadable(f"not a book format medialake reads: .{kind}")


# -- EPUB ---------------------------------------------------------------------------
def _parse_xml(data: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, recover=False
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise BookUnreadable(f"broken XML: {exc}") from None


def read_epub(path: Path) -> BookMeta:
    """The OPF metadata of an EPUB 2 or 3 file."""
    try:
        with zipfile.ZipFile(path) as book:
            container = _parse_xml(book.read("META-INF/container.xml"))
            rootfile = container.find(f".//{{{CONTAINER_NS}}}rootfile")
            if rootfile is None or not rootfile.get("full-path"):
                raise BookUnreadable("container.xml names no package document")
            opf = _parse_xml(book.read(rootfile.get("full-path")))
    except zipfile.BadZipFile:
        raise BookUnreadable("not an EPUB (not a zip archive)") from None
    except KeyError as exc:
        raise BookUnreadable(f"not an EPUB (missing {exc.args[0]})") from None
    metadata = opf.find(f"{{{OPF_NS}}}metadata")
    if metadata is None:
        raise BookUnreadable("the package document has no metadata")
    return _epub_meta(metadata)


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _epub_meta(metadata: Any) -> BookMeta:
    meta = BookMeta("epub")
    refines = _refines(metadata)

    def dc(name: str) -> list[Any]:
        return [e for e in metadata.iter(f"{{{DC_NS}}}{name}") if _text(e)]

    titles = dc("title")
    meta.title = _text(titles[0]) if titles else None
    meta.authors = _authors(dc("creator"), refines)
    languages = dc("language")
    meta.language = _text(languages[0]) if languages else None
    publishers = dc("publisher")
    meta.publisher = _text(publishers[0]) if publishers else None
    dates = dc("date")
    meta.published = _text(dates[0])[:10] if dates else None
    for element in dc("identifier"):
        scheme, value = _identifier(element, refines)
        meta.identifiers.setdefault(scheme, value)
    meta.series, meta.series_index = _series(metadata, refines)
    return meta


def _refines(metadata: Any) -> dict[str, dict[str, str]]:
    """EPUB 3 ``<meta refines="#id" property="...">`` as id -> {property: value}."""
    found: dict[str, dict[str, str]] = {}
    for element in metadata.iter(f"{{{OPF_NS}}}meta"):
        target = (element.get("refines") or "").lstrip("#")
        if target and element.get("property"):
            found.setdefault(target, {})[element.get("property")] = _text(element)
    return found


def _authors(creators: list[Any], refines: dict[str, dict[str, str]]) -> list[str]:
    authors = []
    for element in creators:
        role = element.get(f"{{{OPF_NS}}}role") or refines.get(
            element.get("id") or "", {}
        ).get("role")
        if role in (None, "", "aut"):
            authors.append(_text(element))
    return authors


def _identifier(element: Any, refines: dict[str, dict[str, str]]) -> tuple[str, str]:
    value = _text(element)
    scheme = element.get(f"{{{OPF_NS}}}scheme") or refines.get(
        element.get("id") or "", {}
    ).get("identifier-type")
    if not scheme and value.lower().startswith("urn:"):
        _, scheme, value = value.split(":", 2)
    elif not scheme and _ISBN.match(value.replace("-", "")):
        scheme = "isbn"
    scheme = (scheme or "id").lower()
    if scheme == "isbn":
        value = value.replace("-", "").replace(" ", "").upper()
    return scheme, value


def _series(
    metadata: Any, refines: dict[str, dict[str, str]]
) -> tuple[str | None, float | None]:
    named = {
        e.get("name"): e.get("content") for e in metadata.iter(f"{{{OPF_NS}}}meta")
    }
    if named.get("calibre:series"):
        return named["calibre:series"], _number(named.get("calibre:series_index"))
    for element in metadata.iter(f"{{{OPF_NS}}}meta"):
        if element.get("property") != "belongs-to-collection":
            continue
        extra = refines.get(element.get("id") or "", {})
        if extra.get("collection-type", "series") == "series":
            return _text(element), _number(extra.get("group-position"))
    return None, None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


# -- PDF ----------------------------------------------------------------------------
def read_pdf(path: Path) -> BookMeta:
    """The information dictionary and page count of a PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        info = reader.metadata
        pages = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise BookUnreadable(f"not a readable PDF: {exc}") from None
    meta = BookMeta("pdf", pages=pages)
    if info is None:
        return meta
    meta.title = (info.title or "").strip() or None
    author = (info.author or "").strip()
    meta.authors = [a for a in _AUTHOR_SPLIT.split(author) if a] if author else []
    try:
        created = info.creation_date
    except ValueError:
        created = None
    meta.published = created.date().isoformat() if created else None
    return meta


# -- listing ------------------------------------------------------------------------
def list_files(root: Path) -> list[tuple[Path, int, float]]:
    """Every EPUB and PDF under ``root`` (hidden files and folders skipped), with its
    size and modification time.

    Raises:
        FileNotFoundError: ``root`` is not a folder.
    """
    import os

    if not root.is_dir():
        raise FileNotFoundError(f"the books root {root} is not a folder")
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.rsplit(".", 1)[-1].lower() not in FORMATS:
                continue
            path = root.joinpath(folder, name)
            stat = path.stat()
            found.append((path, stat.st_size, stat.st_mtime))
    return found
