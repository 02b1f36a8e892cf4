"""Presets: AI APIs, model providers, AI developer tools and vector databases.

Alphabetical by name. Each records what confirmed its platform and address (`Evidence`).
"""

from __future__ import annotations

from bot.model import Evidence, Preset
from providers.catalog.sources import AIWATCH

# AIWatch's registry of candidate pages, each platform checked live (2026).
AIWATCH_CANDIDATES = Evidence("config", "bentleypark/aiwatch docs/reference/service-candidates.md (2026)")
# DownForAI's status endpoints, probed from its servers (2026).
DOWNFORAI = Evidence("config", "dalbianapp/downforai scripts/repair-checkurls.ts (2026)")

PRESETS: tuple[Preset, ...] = (
    Preset(
        "ai21",
        "AI21 Labs",
        "statuspage",
        "https://status.ai21.com",
        evidence=Evidence("config", "khalidsaidi/aistatusdashboard lib/data/sources.json"),
    ),
    Preset(
        "anthropic",
        "Anthropic (Claude)",
        "statuspage",
        "https://status.claude.com",
        evidence=Evidence("capture", "junxit/ai-status-archive raw/anthropic.json (2026)"),
    ),
    Preset("assemblyai", "AssemblyAI", "statuspage", "https://status.assemblyai.com", evidence=AIWATCH),
    Preset(
        "baseten",
        "Baseten",
        "statuspage",
        "https://status.baseten.co",
        evidence=Evidence("capture", "https://github.com/bentleypark/aiwatch/issues/901 (2026)"),
    ),
    Preset(
        "black-forest-labs",
        "Black Forest Labs (FLUX)",
        "statuspage",
        "https://status.bfl.ml",
        evidence=AIWATCH,
    ),
    Preset("cerebras", "Cerebras", "statuspage", "https://status.cerebras.ai", evidence=AIWATCH),
    Preset("chroma", "Chroma Cloud", "instatus", "https://status.trychroma.com", evidence=AIWATCH_CANDIDATES),
    Preset("cohere", "Cohere", "incidentio", "https://status.cohere.com", evidence=AIWATCH),
    Preset("comet", "Comet (Opik)", "statuspage", "https://status.comet.com", evidence=AIWATCH_CANDIDATES),
    Preset("cursor", "Cursor", "statuspage", "https://status.cursor.com", evidence=AIWATCH),
    Preset("deepgram", "Deepgram", "statuspage", "https://status.deepgram.com", evidence=AIWATCH),
    Preset("deepinfra", "DeepInfra", "betterstack", "https://status.deepinfra.com", evidence=AIWATCH_CANDIDATES),
    Preset("elevenlabs", "ElevenLabs", "incidentio", "https://status.elevenlabs.io", evidence=AIWATCH),
    Preset("fal", "fal.ai", "instatus", "https://status.fal.ai", evidence=AIWATCH),
    Preset(
        "fireworks",
        "Fireworks AI",
        "incidentio",
        "https://status.fireworks.ai",
        "Left Better Stack for incident.io in 2026 (its /index.json and /feed answer 404 since).",
        AIWATCH,
    ),
    Preset("groq", "Groq", "incidentio", "https://groqstatus.com", evidence=AIWATCH),
    Preset("helicone", "Helicone", "betterstack", "https://status.helicone.ai", evidence=AIWATCH),
    Preset("heygen", "HeyGen", "incidentio", "https://status.heygen.com", evidence=DOWNFORAI),
    Preset("huggingface", "Hugging Face", "betterstack", "https://status.huggingface.co", evidence=AIWATCH),
    Preset("ideogram", "Ideogram", "statuspage", "https://status.ideogram.ai", evidence=AIWATCH_CANDIDATES),
    Preset(
        "jina",
        "Jina AI",
        "statuspage",
        "https://status.jina.ai",
        evidence=Evidence("capture", "https://github.com/bentleypark/aiwatch/issues/880 (2026)"),
    ),
    Preset("kimi", "Kimi (Moonshot AI)", "statuspage", "https://status.moonshot.cn", evidence=AIWATCH),
    Preset("langfuse", "Langfuse", "incidentio", "https://status.langfuse.com", evidence=AIWATCH),
    Preset("luma", "Luma (Dream Machine)", "betterstack", "https://status.lumalabs.ai", evidence=AIWATCH),
    Preset("minimax", "MiniMax (Hailuo)", "statuspage", "https://status.minimax.io", evidence=AIWATCH_CANDIDATES),
    Preset("modal", "Modal", "betterstack", "https://status.modal.com", evidence=AIWATCH),
    Preset("nomic", "Nomic AI", "incidentio", "https://status.nomic.ai", evidence=AIWATCH_CANDIDATES),
    Preset(
        "openai",
        "OpenAI",
        "incidentio",
        "https://status.openai.com",
        evidence=Evidence("capture", "junxit/ai-status-archive raw/openai.json (2026)"),
    ),
    Preset(
        "perplexity",
        "Perplexity",
        "incidentio",
        "https://status.perplexity.com",
        "Moved from Instatus to incident.io in September 2026.",
        Evidence("config", "bentleypark/aiwatch pull request #1407 (2026)"),
    ),
    Preset("pinecone", "Pinecone", "statuspage", "https://status.pinecone.io", evidence=AIWATCH),
    Preset("qdrant", "Qdrant Cloud", "betterstack", "https://status.qdrant.io", evidence=AIWATCH_CANDIDATES),
    Preset("recraft", "Recraft", "instatus", "https://recraft.instatus.com", evidence=AIWATCH_CANDIDATES),
    Preset("runway", "Runway", "statuspage", "https://status.runwayml.com", evidence=AIWATCH),
    Preset("stability", "Stability AI", "incidentio", "https://status.stability.ai", evidence=AIWATCH),
    Preset("synthesia", "Synthesia", "statuspage", "https://status.synthesia.io", evidence=DOWNFORAI),
    Preset(
        "tavily",
        "Tavily",
        "incidentio",
        "https://status.tavily.com",
        evidence=Evidence("capture", "https://github.com/bentleypark/aiwatch/issues/392 (2026)"),
    ),
    Preset("together", "Together AI", "betterstack", "https://status.together.ai", evidence=AIWATCH),
    Preset("turbopuffer", "turbopuffer", "incidentio", "https://status.turbopuffer.com", evidence=AIWATCH),
    Preset("twelvelabs", "Twelve Labs", "statuspage", "https://status.twelvelabs.io", evidence=AIWATCH),
    Preset(
        "voyageai",
        "Voyage AI",
        "statuspage",
        "https://voyageai-status.statuspage.io",
        evidence=AIWATCH,
    ),
    Preset("wandb", "Weights & Biases", "statuspage", "https://status.wandb.com", evidence=AIWATCH_CANDIDATES),
    Preset("windsurf", "Windsurf", "statuspage", "https://status.windsurf.com", evidence=AIWATCH),
    Preset(
        "xai",
        "xAI",
        "feed",
        "https://status.x.ai/feed.xml",
        "The page's only document open to programs (the rest sits behind a bot check); it lists the API, Grok apps and console together.",
        AIWATCH,
    ),
    Preset("zilliz", "Zilliz Cloud (Milvus)", "statuspage", "https://status.zilliz.com", evidence=AIWATCH_CANDIDATES),
)
