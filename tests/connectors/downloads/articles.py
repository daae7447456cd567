"""Article pages for the article tests: a news page with navigation, ads, comments, a
footer and hostile markup around its text, and pages that are broken in ways a user
meets (no text, not HTML)."""

from __future__ import annotations

from pathlib import Path

STORY = (
    "The river rose slowly through the night while the valley slept under thick fog.",
    "By morning the old stone bridge stood alone, water lapping at its worn arches"
    " while farmers gathered on the hill to watch the current carry fences away.",
    "Engineers say the new levee held exactly as designed, and the town council will"
    " meet on Friday to decide how the repairs of the eastern road are paid for.",
)
CLUTTER = (
    "BUY CHEAP WATCHES NOW",
    "First! Great comment spam",
    "Copyright 2024 Footer",
)

ARTICLE_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Valley Flood Report | Example News</title>
<meta name="author" content="Jane Doe">
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<script>document.cookie = "stolen"</script>
</head><body onload="alert('onload')">
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<div class="ad" id="ad-top"><a href="https://ads.example/">{CLUTTER[0]}</a></div>
<iframe src="https://ads.example/frame"></iframe>
<main><article>
<h1>Valley Flood Report</h1>
<p>{STORY[0]} <a href="javascript:alert('link')">Read more</a></p>
<p>{STORY[1]}<img src="x.png" onerror="alert('img')"></p>
<p>{STORY[2]} &lt;script&gt;alert("escaped")&lt;/script&gt;</p>
</article></main>
<section id="comments" class="comments"><h3>Comments</h3>
<div class="comment">{CLUTTER[1]}</div></section>
<footer>{CLUTTER[2]}</footer>
<script src="https://tracker.example/t.js"></script>
</body></html>
"""

EMPTY_PAGE = (
    "<html><head><title>Nothing</title></head><body><nav>Home</nav></body></html>"
)


def write_pages(root: Path) -> Path:
    """The pages under ``root/pages`` (served by the media server)."""
    folder = root / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "flood.html").write_text(ARTICLE_PAGE, encoding="utf-8")
    (folder / "empty.html").write_text(EMPTY_PAGE, encoding="utf-8")
    (folder / "data.json").write_text('{"not": "a page"}', encoding="utf-8")
    return folder
