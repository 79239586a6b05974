"""Every relative link and #anchor in the repository's markdown resolves.

Anchors follow GitHub's rule: the heading text, lower-cased, markup and punctuation dropped,
spaces turned into hyphens, and a "-1", "-2", ... suffix for repeated headings.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SKIPPED_PARTS = {".venv", "node_modules", ".local"}

LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
FENCE = re.compile(r"^([ \t]*)(```|~~~)[^\n]*\n.*?^\1\2[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`+[^`\n]*`+")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)


CITED = re.compile(r"\b((?:docs|services|libs|tools|bench)/[\w./-]+\.md)(?:#([\w-]+))?")
SOURCE_SUFFIXES = {".py", ".js", ".toml", ".yml", ".cfg", ".sh", ""}


def repository_files(*patterns: str) -> list[str]:
    return subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *patterns],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def markdown_files() -> list[Path]:
    files = []
    for name in repository_files("*.md"):
        path = REPO / name
        if not path.is_file() or SKIPPED_PARTS.intersection(path.parts):
            continue
        if name.startswith("bench/") and path.name == "RESULTS.md":
            continue
        files.append(path)
    return sorted(files)


def without_code(text: str) -> str:
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links keep their text
    text = re.sub(r"<[^>]+>", "", text)  # inline html
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    found = set(HTML_ANCHOR.findall(text))
    for _, heading in HEADING.findall(text):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return frozenset(found)


def broken_links(path: Path) -> list[str]:
    text = without_code(path.read_text(encoding="utf-8"))
    targets = LINK.findall(text) + IMAGE.findall(text) + REFERENCE.findall(text)
    broken = []
    for target in targets:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("//"):
            continue  # http:, https:, mailto: ... are not checked here
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(REPO)} -> {target}"
        if not resolved.exists():
            broken.append(f"{where} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{where} (no such heading)")
    return broken


def broken_citations(path: Path) -> list[str]:
    """Markdown pages (and #anchors) that a code comment or docstring names, e.g. under docs."""
    broken = []
    for target, anchor in CITED.findall(path.read_text(encoding="utf-8", errors="replace")):
        cited = REPO / target
        where = f"{path.relative_to(REPO)} cites {target}{'#' + anchor if anchor else ''}"
        if not cited.is_file():
            broken.append(f"{where} (no such file)")
        elif anchor and anchor not in anchors(cited):
            broken.append(f"{where} (no such heading)")
    return broken


def test_slugs_follow_github() -> None:
    assert slug("Ops ports & health") == "ops-ports--health"
    assert slug("`GUARD_API_PORT` (default)") == "guard_api_port-default"
    assert slug("[Events](events/README.md): topics") == "events-topics"


def test_every_relative_link_and_anchor_resolves() -> None:
    files = markdown_files()
    assert any(path.name == "README.md" for path in files)
    broken = [problem for path in files for problem in broken_links(path)]
    assert not broken, "broken markdown links:\n" + "\n".join(broken)


def test_every_doc_page_cited_in_the_code_exists() -> None:
    sources = [
        REPO / name
        for name in repository_files()
        if Path(name).suffix in SOURCE_SUFFIXES
        and not SKIPPED_PARTS.intersection(Path(name).parts)
        and (REPO / name).is_file()
    ]
    broken = [problem for path in sources for problem in broken_citations(path)]
    assert not broken, "code cites missing doc pages or headings:\n" + "\n".join(broken)
