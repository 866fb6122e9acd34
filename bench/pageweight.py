"""Page weight: JS + CSS bytes (gzip) of the catalog, board and request pages, as served by gunicorn with
production settings (WhiteNoise, hashed static files). Reads each page's `<script src>` and
`<link rel="stylesheet" href>` tags, fetches every file once per page and gzips it (level 9, what a CDN or
WhiteNoise's precompressed `.gz` would send).

    .venv/bin/python bench/pageweight.py

Goal (never asserted): <= 60 kB per page.
"""

from __future__ import annotations

import gzip
import sys
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository root, not bench/

from bench import board, common  # noqa: E402
from bench.common import progress  # noqa: E402

GOAL_KB = 60
PAGES = {
    "catalog": "/t/bench/catalog/",
    "board": "/t/bench/requests/",
    "request": "/t/bench/requests/1/",
}


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"] or "")
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.styles.append(a["href"] or "")


def fetch(url: str, cookie: str) -> bytes:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def main() -> None:
    db = "agora_bench_pageweight"
    common.django_setup(db)
    common.recreate_database(db)
    common.make_template(db)
    rows = []
    try:
        world = board.generate(db, 30, voters=20)
        from django.conf import settings

        common.use_database(db)
        cookie = f"{settings.SESSION_COOKIE_NAME}={common.session_cookie(world.users[0])}"
        with common.gunicorn(db) as server:
            progress(common.setup_line(server, "30 requests"))
            for label, path in PAGES.items():
                page_url = server.url + path
                parser = Assets()
                parser.feed(fetch(page_url, cookie).decode())
                files = [("js", s) for s in parser.scripts] + [("css", s) for s in parser.styles]
                total_raw = total_gz = 0
                detail = []
                for kind, src in files:
                    body = fetch(urljoin(page_url, src), cookie)
                    packed = len(gzip.compress(body, 9))
                    total_raw += len(body)
                    total_gz += packed
                    detail.append(
                        f"{kind} {src.rsplit('/', 1)[-1]} {len(body) / 1024:.1f} kB -> {packed / 1024:.1f} kB"
                    )
                rows.append((label, path, total_raw, total_gz, detail))
                progress(f"{label}: {len(files)} files, {total_gz / 1024:.1f} kB gzip")
    finally:
        from django.db import connections

        connections.close_all()
        common.drop_database(db)

    print()
    print(f"{'page':<10} {'path':<24} {'raw':>9} {'gzip':>9}  goal <= {GOAL_KB} kB")
    for label, path, raw, packed, detail in rows:
        verdict = "meets" if packed <= GOAL_KB * 1024 else "MISSES"
        print(f"{label:<10} {path:<24} {raw / 1024:>7.1f}kB {packed / 1024:>7.1f}kB  {verdict}")
        for item in detail:
            print(f"    {item}")


if __name__ == "__main__":
    main()
