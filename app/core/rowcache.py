"""Rows' JSON remembered by version: ``(id, updated_at)``.

A page of employees is read far more often than any of its rows changes, and writing a
row's JSON costs more than finding it. So a list first reads only the ids and versions of
its page (a narrow, indexed query), takes the JSON of every version it has seen before
from here, and asks the database for the JSON of the rest.

Nothing is ever stale: a change gives the row a new ``updated_at`` and so a new key; the
old entry is simply never asked for again. That is the same contract the ETags and the
``updated_from`` sync rely on: every write moves ``updated_at`` (its column's
``onupdate`` in core/models.py; ``bulk_update`` and ``touch`` for the rest). Rows reach the
page through the tenant-scoped query, so an entry is only ever served to the organisation
whose query found its id.

Per process and bounded (``VEERKRACHT_ROW_CACHE_ENTRIES``, 0 turns it off): when full it
starts afresh, which costs one cold page and needs no bookkeeping per hit.
"""

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence

from app.core.config import get_settings

Version = tuple[Hashable, Hashable]


class RowJsonCache:
    """JSON texts of row versions, for one kind of row (one model's shape)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._texts: dict[Version, str] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._texts)

    def clear(self) -> None:
        with self._lock:
            self._texts.clear()

    def texts(
        self,
        versions: Sequence[Version],
        fetch: Callable[[list[Hashable]], Iterable[tuple[Hashable, Hashable, str]]],
    ) -> list[str]:
        """The JSON of each version, in order; ``fetch(ids)`` yields (id, version, json).

        ``fetch`` runs at most once, for the versions not remembered. A row changed since
        ``versions`` were read comes back newer: that newer JSON is served and remembered.
        """
        limit = get_settings().row_cache_entries
        found = self._texts
        out: list[str | None] = [found.get(v) if limit > 0 else None for v in versions]
        missing = [v[0] for v, text in zip(versions, out, strict=True) if text is None]
        if not missing:
            return out  # type: ignore[return-value]
        fresh: dict[Hashable, str] = {}
        learned: dict[Version, str] = {}
        for id_, version, json_text in fetch(missing):
            fresh[id_] = json_text
            learned[(id_, version)] = json_text
        if limit > 0:
            with self._lock:
                if len(found) + len(learned) > limit:
                    found.clear()
                found.update(learned)
        result: list[str] = []
        for (id_, _), known in zip(versions, out, strict=True):
            page_text = known if known is not None else fresh.get(id_)
            if page_text is not None:  # None: deleted between the two reads, left out
                result.append(page_text)
        return result
