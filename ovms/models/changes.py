"""What one apply/rescan of the model manager changed: the summary behind the reload log line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Changes:
    """Models added, removed and reloaded; versions loaded, retired and failed, in event order.

    Truthy when anything changed (a failed load counts: the version's status changed), so the
    reload API answers 201 for it. ``unlisted`` (models whose versions could not be listed: a
    missing base path, a store outage) is a problem, not a change; ``problems`` says whether this
    pass hit any failure (a failed load or an unlisted model), which the reload API reports as
    OVMS does.
    """

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reloaded: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)  # "model/version"
    retired: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.added, self.removed, self.reloaded, self.loaded, self.retired, self.failed))

    @property
    def problems(self) -> bool:
        return bool(self.failed or self.unlisted)

    def merge(self, other: Changes) -> Changes:
        """Append ``other``'s events to this summary; returns self."""
        for name in _FIELDS:
            getattr(self, name).extend(getattr(other, name))
        return self

    def describe(self) -> str:
        """One line, e.g. ``models added: a; versions loaded: a/1, m/3; versions retired: m/2``."""
        # dict.fromkeys: one mention each, in order (apply and the rescan after it may both list one).
        parts = [f"{label}: {', '.join(dict.fromkeys(getattr(self, name)))}"
                 for name, label in _FIELDS.items() if getattr(self, name)]
        return "; ".join(parts) if parts else "nothing changed"


_FIELDS = {
    "added": "models added",
    "removed": "models removed",
    "reloaded": "models reloaded",
    "loaded": "versions loaded",
    "retired": "versions retired",
    "failed": "versions failed to load",
    "unlisted": "models whose versions cannot be listed",
}
