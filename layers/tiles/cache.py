"""A bounded in-process LRU of encoded tiles, sized in bytes.

Keys carry the layer id and version (see ``plan.TilePlan.key``), so a new version or a
restore is never served stale: its tiles simply have other keys, and the old ones age out.
Thread-safe, because synchronous routes run in a thread pool.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

# Rough bookkeeping cost of one entry beside its bytes.
ENTRY_OVERHEAD = 256


@dataclass(frozen=True)
class CachedTile:
    data: bytes
    features: int
    points: int
    subpixel: int


class TileCache:
    def __init__(self, max_bytes: int, max_item_bytes: int | None = None) -> None:
        self.max_bytes = max(0, max_bytes)
        self.max_item_bytes = min(self.max_bytes, max_item_bytes or self.max_bytes)
        self._items: OrderedDict[Hashable, CachedTile] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> CachedTile | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: Hashable, item: CachedTile) -> bool:
        """Store ``item`` unless it is too big; evict least recently used entries to fit."""
        size = len(item.data) + ENTRY_OVERHEAD
        if size > self.max_item_bytes:
            return False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= len(old.data) + ENTRY_OVERHEAD
            self._items[key] = item
            self.bytes += size
            while self.bytes > self.max_bytes and self._items:
                _, evicted = self._items.popitem(last=False)
                self.bytes -= len(evicted.data) + ENTRY_OVERHEAD
        return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0
