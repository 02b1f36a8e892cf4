"""Presets: AI APIs, models and AI developer tools.

Alphabetical by name. Each records what confirmed its platform and address (`Evidence`).
"""

from __future__ import annotations

from bot.model import Preset

PRESETS: tuple[Preset, ...] = (
    Preset("anthropic", "Anthropic (Claude)", "statuspage", "https://status.claude.com"),
    Preset("assemblyai", "AssemblyAI", "statuspage", "https://status.assemblyai.com"),
    Preset(
        "cerebras",
        "Cerebras",
        "statuspage",
        "https://status.cerebras.ai",
        "Platform and address from a 2026 third-party client (aiwatch), not the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("cohere", "Cohere", "incidentio", "https://status.cohere.com"),
    Preset("cursor", "Cursor", "statuspage", "https://status.cursor.com"),
    Preset("deepgram", "Deepgram", "statuspage", "https://status.deepgram.com"),
    Preset("elevenlabs", "ElevenLabs", "incidentio", "https://status.elevenlabs.io"),
    Preset(
        "fireworks",
        "Fireworks AI",
        "incidentio",
        "https://status.fireworks.ai",
        "The reference lists Fireworks on Better Stack; a 2026 client (aiwatch) saw it move to incident.io: check that /api/v2/summary.json answers.",
    ),
    Preset("groq", "Groq", "incidentio", "https://groqstatus.com"),
    Preset(
        "huggingface",
        "Hugging Face",
        "feed",
        "https://status.huggingface.co/feed.rss",
        "Better Stack page (reference §3); host from a 2026 client, /feed.rss from Better Stack's docs: check that the feed answers.",
    ),
    Preset(
        "modal",
        "Modal",
        "feed",
        "https://status.modal.com/feed.rss",
        "Better Stack page (reference §3); host from a 2026 client, /feed.rss from Better Stack's docs: check that the feed answers.",
    ),
    Preset("openai", "OpenAI", "incidentio", "https://status.openai.com"),
    Preset(
        "perplexity",
        "Perplexity",
        "incidentio",
        "https://status.perplexity.com",
        "Moved from Instatus to incident.io in 2026-09 (reference §2); the compatible API is not confirmed by a client: check that /api/v2/summary.json answers.",
    ),
    Preset("pinecone", "Pinecone", "statuspage", "https://status.pinecone.io"),
    Preset(
        "replicate",
        "Replicate",
        "incidentio",
        "https://www.replicatestatus.com",
        "incident.io per a 2026 client (aiwatch); the reference mentions a move to Cloudflare: check that /api/v2/summary.json answers.",
    ),
    Preset(
        "runway",
        "Runway",
        "statuspage",
        "https://status.runwayml.com",
        "Platform and address from a 2026 third-party client (aiwatch), not the reference: check that /api/v2/summary.json answers.",
    ),
    Preset("stability", "Stability AI", "incidentio", "https://status.stability.ai"),
    Preset(
        "together",
        "Together AI",
        "feed",
        "https://status.together.ai/feed.rss",
        "Better Stack page (reference §3); host from a 2026 client, /feed.rss from Better Stack's docs: check that the feed answers.",
    ),
    Preset(
        "voyageai",
        "Voyage AI",
        "statuspage",
        "https://voyageai-status.statuspage.io",
        "Address from a 2026 third-party client (aiwatch); the reference confirms the platform only.",
    ),
    Preset("windsurf", "Windsurf", "statuspage", "https://status.windsurf.com"),
    Preset(
        "xai",
        "xAI",
        "feed",
        "https://status.x.ai/feed.xml",
        "Address from a 2026 third-party client (aiwatch), not the reference: check that the feed answers.",
    ),
)
