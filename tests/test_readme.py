"""The README's pictures and links point at files that exist, and docs/screenshots holds no picture the README
does not show (a stale screenshot misleads whoever browses the folder)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# markdown images and links `![alt](target)` / `[text](target)`, and HTML `src="target"`
TARGETS = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|\bsrc=\"([^\"]+)\"")


def local_targets(text: str) -> list[str]:
    """The link and image targets of a markdown text that name a file of the repository (no URL, no anchor)."""
    found = [a or b for a, b in TARGETS.findall(text)]
    return [t.split("#")[0] for t in found if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", t) and t.split("#")[0]]


def test_every_picture_and_file_link_of_the_readme_resolves_to_a_file_in_the_repository():
    targets = local_targets(README.read_text(encoding="utf-8"))
    assert any(t.endswith(".png") for t in targets), "the README shows the app's screenshots"
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_every_screenshot_in_docs_is_shown_or_linked_by_the_readme():
    linked = {(ROOT / t).resolve() for t in local_targets(README.read_text(encoding="utf-8"))}
    stale = sorted(p.name for p in SCREENSHOTS.glob("*.png") if p.resolve() not in linked)
    assert not stale, f"docs/screenshots holds pictures the README does not show (delete or link them): {stale}"


def test_the_link_reader_finds_images_links_and_html_sources_but_not_urls():
    text = ('![a](docs/x.png) [b](README.md#top) <img src="docs/y.png"> [c](https://example.org/z.png) [d](#here) '
            '![e](docs/z.png "title")')
    assert local_targets(text) == ["docs/x.png", "README.md", "docs/y.png", "docs/z.png"]
