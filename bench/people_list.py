"""A room's list of people as a page shows it: read from the room page's HTML, kept up to date
from ``presence:`` frames as ``static/js/ops.js`` applies them.

One model for the reconnect bench (every page's list checked against the room page once
everyone is back) and the presence tests (a late joiner's page equals the list the others
built from frames).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["PeopleList"]


@dataclass
class PeopleList:
    """What a room page's list of people shows: the ids named in order (``none``: the
    "nobody here" line), the count, the "and N more" line."""

    slug: str
    ids: list[str]
    count: int
    more: str

    @classmethod
    def from_page(cls, slug: str, page: str) -> tuple[PeopleList, int]:
        """The list as the room page's HTML shows it, and the page's ``presence:`` seq."""
        listed = re.search(rf'<ul class="people-list" data-people="{slug}">(.*?)</ul>', page, re.S)
        count = re.search(rf'data-people-count="{slug}">(\d+)<', page)
        more = re.search(rf'data-people-more="{slug}">(.*?)</p>', page, re.S)
        seq = re.search(rf'data-topic="presence:{slug}" data-seq="(\d+)"', page)
        if not (listed and count and more and seq):
            raise ValueError(f"no list of people for {slug} on this page: {page[:400]}")
        ids = re.findall(rf'id="pp-{slug}-([^"]+)"', listed.group(1))
        return cls(slug, ids, int(count.group(1)), html.unescape(more.group(1)).strip()), int(
            seq.group(1)
        )

    def apply(self, ops: Any) -> None:
        """Apply a ``presence:`` frame's ops; an op the list does not know is an error."""
        prefix = f"#pp-{self.slug}-"
        for op in ops:
            kind = op["op"]
            if kind == "remove" and op["target"].startswith(prefix):
                gone = op["target"].removeprefix(prefix)
                self.ids = [i for i in self.ids if i != gone]
            elif kind == "upsert" and op["parent"] == f"[data-people='{self.slug}']":
                new = op["id"].removeprefix(prefix[1:])
                if new not in self.ids:
                    self.ids.append(new)
            elif kind == "inner" and op["target"] == f"[data-people-count='{self.slug}']":
                self.count = int(op["html"])
            elif kind == "inner" and op["target"] == f"[data-people-more='{self.slug}']":
                self.more = html.unescape(op["html"]).strip()
            elif kind == "replace" and op["target"] == f"[data-people='{self.slug}']":
                self.ids = re.findall(rf'id="pp-{self.slug}-([^"]+)"', op["html"])
            else:
                raise ValueError(f"unexpected op {op}")

    def people(self) -> list[str]:
        """The people named, in order (without the "nobody here" line)."""
        return [i for i in self.ids if i != "none"]
