"""'Do not train' marks served over HTTP: robots.txt, TDMRep, and the media headers that the
CloudFront response-headers policy adds in production (infra reads MEDIA_HEADERS too)."""
from __future__ import annotations

AI_CRAWLERS = (
    "GPTBot", "OAI-SearchBot", "ChatGPT-User", "ClaudeBot", "anthropic-ai", "CCBot", "Google-Extended",
    "GoogleOther", "Applebot-Extended", "Bytespider", "PerplexityBot", "meta-externalagent", "Amazonbot",
    "cohere-ai", "Diffbot", "ImagesiftBot", "img2dataset", "omgili", "Timpibot",
)

NOAI_HEADERS = {"X-Robots-Tag": "noai, noimageai", "tdm-reservation": "1"}
MEDIA_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable", **NOAI_HEADERS}


def robots_txt() -> str:
    blocks = [f"User-agent: {bot}\nDisallow: /\n" for bot in AI_CRAWLERS]
    blocks.append("User-agent: *\nDisallow: /v1/\nAllow: /v1/users/\nAllow: /v1/posts/\n")
    return "\n".join(blocks)


def tdmrep() -> list[dict]:
    # W3C TDMRep: reserve text-and-data-mining rights for every path.
    return [{"location": "/*", "tdm-reservation": 1}]
