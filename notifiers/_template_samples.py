"""The deliveries a webhook channel's template is rendered for when the configuration is read:
one of each shape the variables take (an incident, a component change, a digest, a group), with
text that a template which writes page text carelessly turns into invalid JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.model import Component, Event, Incident, Update

SAMPLE_NOW = datetime(2026, 2, 24, 9, 0, tzinfo=UTC)

_UPDATE = Update(
    id="sample-update",
    status="investigating",
    body='We are investigating "elevated errors" on C:\\api.\nNext update in 30 minutes. </script>',
    created_at=datetime(2026, 2, 24, 8, 40, tzinfo=UTC),
)
_INCIDENT = Incident(
    id="sample-incident",
    title="Elevated errors on the API",
    status="investigating",
    impact="major",
    url="https://status.example.com/incidents/sample-incident",
    created_at=datetime(2026, 2, 24, 8, 40, tzinfo=UTC),
    component_ids=("api", "web"),
    component_names=("API", "Website"),
    updates=(_UPDATE,),
)
INCIDENT_CREATED = Event(
    id="evt_sample_incident", type="incident.created", key="sample-incident/sample-update", provider="example",
    provider_title="Example", thread_key="example:incident:sample-incident", impact="major",
    occurred_at=datetime(2026, 2, 24, 8, 41, tzinfo=UTC), incident=_INCIDENT, update=_UPDATE,
    url=_INCIDENT.url,
)
COMPONENT_CHANGED = Event(
    id="evt_sample_component", type="component.status", key="api/partial_outage", provider="example",
    provider_title="Example", thread_key="example:component:api", impact="major",
    occurred_at=datetime(2026, 2, 24, 8, 42, tzinfo=UTC),
    component=Component(id="api", name="API", status="partial_outage"),
    old_status="operational", new_status="partial_outage", url="https://status.example.com",
)
DIGEST = Event(
    id="evt_sample_digest", type="digest", key="digest/2026-02-24", provider="", provider_title="",
    thread_key="digest", impact="major", occurred_at=SAMPLE_NOW, since=datetime(2026, 2, 23, 9, 0, tzinfo=UTC),
    related=(INCIDENT_CREATED, COMPONENT_CHANGED),
)
GROUP = INCIDENT_CREATED.model_copy(update={"related": (COMPONENT_CHANGED,)})

SAMPLES: tuple[Event, ...] = (INCIDENT_CREATED, COMPONENT_CHANGED, DIGEST, GROUP)
