"""Prometheus metrics of one running bot, in a registry of its own (so tests can run several)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

# The `_created` timestamp series double the output and say nothing an operator needs.
disable_created_metrics()

# Seconds: polls take milliseconds to a timeout; deliveries wait out retries for minutes.
POLL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600)


class Metrics:
    """`replica`: this bot's name among replicas sharing a database; every sample then carries it
    as the label `replica`, so that the replicas' series stay apart where one Prometheus scrapes them all."""

    def __init__(self, replica: str | None = None) -> None:
        self.registry = CollectorRegistry()
        self._exposed: Collector = self.registry if replica is None else Labelled(self.registry, "replica", replica)
        r = self.registry
        self.polls = Counter(
            "statusbot_polls", "Polls of a provider, by result: changed, unchanged (same body), "
            "not_modified (every document answered 304) or error.", ["provider", "result"], registry=r)
        self.fetch_errors = Counter(
            "statusbot_fetch_errors", "Failed polls by provider and reason.", ["provider", "reason"], registry=r)
        self.events = Counter("statusbot_events", "Events detected and queued, by type.", ["type"], registry=r)
        self.deliveries = Counter(
            "statusbot_deliveries", "Delivery outcomes by channel: delivered, dead (given up), disabled, "
            "pending (still failing after a bounded run).", ["channel", "outcome"], registry=r)
        self.retries = Counter(
            "statusbot_delivery_retries", "Failed delivery attempts that will be retried.", ["channel"], registry=r)
        self.outbox_depth = Gauge(
            "statusbot_outbox_depth", "Messages waiting for a channel.", ["channel"], registry=r)
        self.delivery_latency = Histogram(
            "statusbot_delivery_latency_seconds", "From detection to acceptance by the destination.",
            ["channel"], buckets=LATENCY_BUCKETS, registry=r)
        # By page format, not provider: a histogram per provider is 13 series each, which at ten
        # thousand providers costs more memory than polling them.
        self.poll_duration = Histogram(
            "statusbot_poll_duration_seconds", "Duration of one poll, by page format.", ["kind"],
            buckets=POLL_BUCKETS, registry=r)
        self.noise = Counter(
            "statusbot_noise_events", "What noise control did with events, by channel: held (a flap hold), "
            "suppressed (a hold that flapped back, or a quiet digest's resolved threads), deferred (quiet hours "
            "or a digest period) or digested (sent within a digest).", ["channel", "action"], registry=r)
        self.http_dropped = Counter(
            "statusbot_http_connections_dropped", "Connections to /healthz and /metrics the bot cut off, by reason: "
            "evicted (the cap was reached and it had not sent its request), refused (the cap was reached and "
            "all were being answered) or timeout (too slow to send its request or to read the answer).",
            ["reason"], registry=r)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self._exposed)


class Labelled(Collector):
    """A registry's metrics with one more label on every sample, given in one place instead of
    in each metric's definition (where every update would have to repeat it)."""

    def __init__(self, source: Collector, name: str, value: str):
        self.source, self.name, self.value = source, name, value

    def collect(self) -> Iterator[Metric]:
        for family in self.source.collect():
            labelled = Metric(family.name, family.documentation, family.type, family.unit)
            labelled.samples = [sample._replace(labels={**sample.labels, self.name: self.value})
                                for sample in family.samples]
            yield labelled
