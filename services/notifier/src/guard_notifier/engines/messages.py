"""What a channel receives (docs/notifications.md).

Webhook bodies follow the Standard Webhooks payload shape ``{type, timestamp, data}``; Slack
bodies are incoming-webhook messages (``text`` plus Block Kit ``blocks``) with a console link.
Every function returns plain JSON values; the ledger stores them and every attempt sends the same.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from guard_contracts.notifications import ChangeKind, ChannelKind
from guard_contracts.outputs import IncidentChanged

_HEADLINES = {
    ChangeKind.OPENED: "Incident opened",
    ChangeKind.ESCALATED: "Incident escalated",
    ChangeKind.ACKNOWLEDGED: "Incident acknowledged",
    ChangeKind.RESOLVED: "Incident resolved",
    ChangeKind.REOPENED: "Incident reopened",
    ChangeKind.COST_ANOMALY: "Cost anomaly",
}
_EMOJI = {"critical": ":red_circle:", "high": ":large_orange_circle:",
          "medium": ":large_yellow_circle:", "low": ":white_circle:"}  # fmt: skip


def console_link(console_base_url: str, incident_id: uuid.UUID) -> str:
    return f"{console_base_url.rstrip('/')}/console/#/incidents/{incident_id}"


def change_message(
    change: IncidentChanged, kind: ChangeKind, channel: ChannelKind, console_base_url: str
) -> dict[str, Any]:
    incident = change.incident
    link = console_link(console_base_url, incident.incident_id)
    if channel is ChannelKind.SLACK:
        return _slack_change(change, kind, link)
    return {
        "type": f"incident.{kind.value}",
        "timestamp": change.occurred_at.isoformat(),
        "data": {
            "change_id": str(change.event_id),
            "change_type": kind.value,
            "timeline_entry": change.change_type.value,
            "sequence": change.sequence,
            "tenant_id": change.tenant_id,
            "console_url": link,
            "incident": incident.model_dump(mode="json"),
        },
    }


def _slack_change(change: IncidentChanged, kind: ChangeKind, link: str) -> dict[str, Any]:
    i = change.incident
    severity = i.severity.value
    headline = f"{_EMOJI.get(severity, '')} {_HEADLINES[kind]}: {i.title}".strip()
    facts = (
        f"*Severity:* {severity}   *Category:* {i.category.value}   "
        f"*State:* {i.lifecycle_state.value}   *Events:* {i.event_count}"
    )
    when = change.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return {
        "text": f"{headline} ({severity}) - {link}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*\n{facts}"}},
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"{when} · <{link}|Open in Guard Console>"}
                ],
            },
        ],
    }


def digest_message(
    channel: ChannelKind,
    count: int,
    window_start: datetime,
    window_end: datetime,
    titles: list[str],
    console_base_url: str,
) -> dict[str, Any]:
    """The one message standing for ``count`` changes held back during a window."""
    link = f"{console_base_url.rstrip('/')}/console/#/incidents"
    noun = "incident change" if count == 1 else "incident changes"
    summary = f"and {count} more {noun}… (rate limit reached)"
    if channel is ChannelKind.SLACK:
        sample = "\n".join(f"• {t}" for t in titles)
        return {
            "text": f"{summary} - {link}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{summary}*\n{sample}"}},
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"<{link}|Open in Guard Console>"}],
                },
            ],
        }
    return {
        "type": "notifications.digest",
        "timestamp": window_end.isoformat(),
        "data": {
            "count": count,
            "message": summary,
            "window_start": window_start.isoformat(),
            "window_end": window_end.isoformat(),
            "sample_titles": titles,
            "console_url": link,
        },
    }


def test_message(channel: ChannelKind, channel_name: str, sent_at: datetime) -> dict[str, Any]:
    text = f"Test message from Guard Incidents for channel “{channel_name}”."
    if channel is ChannelKind.SLACK:
        return {"text": text}
    return {
        "type": "notifications.test",
        "timestamp": sent_at.isoformat(),
        "data": {"message": text, "channel_name": channel_name},
    }
