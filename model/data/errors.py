"""What the dataset reader and checker report when a folder is not usable."""

from __future__ import annotations

from collections.abc import Sequence


class DatasetError(Exception):
    """A dataset folder that cannot be used as it is. `problems` are one-line, human-readable
    statements (file, entry, what is wrong and what to do); the CLI prints them and exits 1."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        self.message = message
        self.problems = list(problems)
        super().__init__(message)

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {p}" for p in self.problems)])


class ProblemList:
    """Collects problems without letting one kind flood the report.

    A real download can be wrong in the same way 365k times (a missing images folder, a
    wrong key); a reader then needs a few examples of each kind and a count, not a wall of
    near-identical lines that pushes every other kind off the screen.
    """

    def __init__(self, per_kind: int = 3) -> None:
        self.per_kind = per_kind
        self._entries: list[tuple[str, str]] = []  # (kind, message)
        self._seen: dict[str, int] = {}

    def add(self, message: str, kind: str | None = None) -> None:
        """Record `message`; messages sharing a `kind` beyond `per_kind` are only counted."""
        key = kind if kind is not None else message
        seen = self._seen.get(key, 0)
        self._seen[key] = seen + 1
        if seen < self.per_kind:
            self._entries.append((key, message))

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __len__(self) -> int:
        return sum(self._seen.values())

    def lines(self, limit: int | None = None) -> list[str]:
        """The report: examples of each kind, a count line for what was held back, and past
        `limit` lines a final "... and N more"."""
        # Each rendered line with the number of problems it stands for.
        rendered: list[tuple[str, int]] = []
        shown: dict[str, int] = {}
        for kind, message in self._entries:
            rendered.append((message, 1))
            shown[kind] = shown.get(kind, 0) + 1
            held_back = self._seen[kind] - self.per_kind
            if shown[kind] == self.per_kind and held_back > 0:
                rendered.append((f"... and {held_back} more like this: {kind}", held_back))
        if limit is not None and len(rendered) > limit:
            hidden = sum(count for _, count in rendered[limit:])
            rendered = rendered[:limit] + [(f"... and {hidden} more", hidden)]
        return [line for line, _ in rendered]
