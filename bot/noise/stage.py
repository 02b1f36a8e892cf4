"""The noise rules of every channel on one clock: what the store calls inside its transactions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.model import Event, Incident
from bot.noise.admit import Kept, admit
from bot.noise.group import Ties
from bot.noise.release import release, remind
from bot.noise.rows import Decision, Reminder, Waiting
from bot.noise.settings import NoiseSettings


class NoiseStage:
    def __init__(self, settings: Mapping[str, NoiseSettings], now: Callable[[], float]):
        """`settings` by channel name (a channel no longer configured keeps the defaults);
        `now` is the wall clock, in unix seconds."""
        self._settings = dict(settings)
        self.now = now

    def settings(self, channel: str) -> NoiseSettings:
        return self._settings.get(channel) or NoiseSettings()

    def admit(self, channel: str, events: Sequence[Event], kept: Kept, tied: Ties) -> Decision:
        return admit(self.settings(channel), events, self.now(), kept, tied)

    def release(self, channel: str, due: Sequence[Waiting], tied: Ties) -> Decision:
        return release(self.settings(channel), due, self.now(), tied)

    def remind(self, channel: str, reminder: Reminder, incident: Incident | None) -> Decision:
        return remind(self.settings(channel), reminder, incident, self.now())
