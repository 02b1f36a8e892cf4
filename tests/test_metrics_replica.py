"""/metrics of a replica sharing a database: every sample carries `replica`, so that one Prometheus
scraping every replica keeps their series apart; a lone bot's output has no such label."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from bot.metrics import Metrics
from tests.test_endpoint import ask, healthy, serving


def busy(metrics: Metrics) -> Metrics:
    """`metrics` after a poll, an event, a delivery and its latency, a backlog: a sample of each kind."""
    metrics.polls.labels("a", "changed").inc()
    metrics.events.labels("incident.created").inc()
    metrics.deliveries.labels("hooks", "delivered").inc()
    metrics.delivery_latency.labels("hooks").observe(0.3)
    metrics.outbox_depth.labels("hooks").set(2)
    return metrics


def samples(text: str) -> list[Sample]:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


async def test_every_sample_of_a_replica_names_it():
    async with serving(healthy, metrics=busy(Metrics(replica="r1"))) as endpoint:
        status, text = await ask(endpoint, "/metrics")
    assert status == 200
    served = samples(text)
    assert Sample("statusbot_polls_total", {"provider": "a", "result": "changed", "replica": "r1"}, 1.0) in served
    assert Sample("statusbot_outbox_depth", {"channel": "hooks", "replica": "r1"}, 2.0) in served
    buckets = [sample for sample in served if sample.name == "statusbot_delivery_latency_seconds_bucket"]
    assert buckets and all(sample.labels.keys() == {"channel", "le", "replica"} for sample in buckets)
    assert all(sample.labels["replica"] == "r1" for sample in served)


async def test_a_lone_bot_exposes_the_same_samples_without_the_label():
    lone, replica = busy(Metrics()), busy(Metrics(replica="r1"))
    assert "replica" not in lone.exposition().decode()
    unlabelled = [sample._replace(labels={k: v for k, v in sample.labels.items() if k != "replica"})
                  for sample in samples(replica.exposition().decode())]
    assert unlabelled == samples(lone.exposition().decode())
    assert comments(lone) == comments(replica), "the same HELP and TYPE lines"


def comments(metrics: Metrics) -> list[bytes]:
    return [line for line in metrics.exposition().splitlines() if line.startswith(b"#")]
