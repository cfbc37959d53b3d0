"""The embedding resource (key ``embed``, ``ctx.embed``): the shipped MiniLM encoder or an OpenAI-compatible server."""

from resources.embedding.resource import EmbeddingResource, embed_from_env

__all__ = ["EmbeddingResource", "embed_from_env"]
