"""Parsing and constants shared by the files plugin's modules.

Plain Python (no pydantic, no pulumi), imported by the resource model and the
provider alike; it imports none of the plugin's other modules.
"""

from __future__ import annotations

# The mode of a new file when none is asked for.
DEFAULT_MODE = "0644"


def parse_mode(mode: str) -> int:
    """'644', '0644' or '0o644' -> 0o644; anything that is not octal permission bits fails."""
    text = mode.strip().lower().removeprefix("0o")
    try:
        value = int(text, 8)
    except ValueError:
        raise ValueError(f"mode {mode!r} is not an octal number like '644'") from None
    if not 0 <= value <= 0o7777:
        raise ValueError(f"mode {mode!r} is out of range (at most 7777)")
    return value
