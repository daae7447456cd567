"""Real book files made in the tests: EPUB 2 (calibre series metadata), EPUB 3
(``belongs-to-collection``, refinements), PDFs written with pypdf, and broken files."""

from __future__ import annotations

import zipfile
from pathlib import Path

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="{opf}" media-type="application/oebps-package+xml"/>
</rootfiles></container>"""

EPUB2_OPF = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="uid">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"
          xmlns:opf="http://www.idpf.org/2007/opf">
<dc:title>The Left Hand of Darkness</dc:title>
<dc:creator opf:role="aut"
  opf:file-as="Le Guin, Ursula K.">Ursula K. Le Guin</dc:creator>
<dc:creator opf:role="ill">Some Illustrator</dc:creator>
<dc:language>en</dc:language>
<dc:publisher>Ace Books</dc:publisher>
<dc:date>1969-03-01T00:00:00+00:00</dc:date>
<dc:identifier id="uid"
  opf:scheme="uuid">0b3b5a2c-1111-2222-3333-444455556666</dc:identifier>
<dc:identifier opf:scheme="ISBN">9780441478125</dc:identifier>
<meta name="calibre:series" content="Hainish Cycle"/>
<meta name="calibre:series_index" content="4"/>
</metadata><manifest/><spine/></package>"""

EPUB3_OPF = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="pub-id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="pub-id">urn:isbn:978-0-316-21241-2</dc:identifier>
<dc:title>Ancillary &amp; Justice &lt;script&gt;</dc:title>
<dc:creator id="c1">Ann Leckie</dc:creator>
<meta refines="#c1" property="role" scheme="marc:relators">aut</meta>
<dc:creator id="c2">A Translator</dc:creator>
<meta refines="#c2" property="role" scheme="marc:relators">trl</meta>
<dc:language>en-GB</dc:language>
<meta property="belongs-to-collection" id="s1">Imperial Radch</meta>
<meta refines="#s1" property="collection-type">series</meta>
<meta refines="#s1" property="group-position">1</meta>
</metadata><manifest/><spine/></package>"""


def make_epub(path: Path, opf: str, opf_path: str = "OEBPS/content.opf") -> Path:
    """An EPUB whose package document is ``opf``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", CONTAINER.format(opf=opf_path))
        book.writestr(opf_path, opf)
        book.writestr("OEBPS/chapter1.xhtml", "<html><body><p>Text</p></body></html>")
    return path


def make_pdf(path: Path, pages: int = 3, **info: str) -> Path:
    """A PDF of blank pages with the document information ``info`` (``/Title``...)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if info:
        writer.add_metadata({f"/{k}": v for k, v in info.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def make_shelf(root: Path) -> Path:
    """A books root: two EPUBs, a PDF, a broken EPUB, a hidden file and a text file."""
    make_epub(root / "Le Guin/Left Hand.epub", EPUB2_OPF)
    make_epub(root / "Leckie/Ancillary Justice.epub", EPUB3_OPF, "content.opf")
    make_pdf(
        root / "Papers/paper.pdf",
        pages=3,
        Title="Attention Is All You Need",
        Author="Ashish Vaswani; Noam Shazeer and Niki Parmar",
        CreationDate="D:20170612000000Z",
    )
    (root / "Broken.epub").write_bytes(b"this is not a zip file")
    (root / ".hidden.epub").write_bytes(b"skipped")
    (root / "notes.txt").write_text("not a book")
    return root
