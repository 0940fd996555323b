"""``imgbackup ls --usage``: the account's storage use and quota (GET /api/v2/me)."""

from __future__ import annotations

import json
from typing import Any

from imgbackup.sizes import format_size


def usage_line(me: dict[str, Any]) -> str:
    """``1.2 GiB of 50.0 GiB used (2 %)``, or ``1.2 GiB used (no quota)``; the trash counts."""
    used, quota = int(me.get("usage_bytes") or 0), me.get("quota_bytes")
    if quota is None:
        return f"{format_size(used)} used (no quota), the trash included"
    share = 100 * used / quota if quota else 100.0
    return (f"{format_size(used)} of {format_size(int(quota))} used ({share:.0f} %), "
            "the trash included")


def print_usage(me: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"usage_bytes": me.get("usage_bytes"),
                          "quota_bytes": me.get("quota_bytes")}))
    else:
        print(usage_line(me))
