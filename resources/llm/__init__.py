"""The LLM resource (key ``llm``, ``ctx.llm``) and its client code: sessions, the response cache, the HTTP client,
the embedded local server and token counting."""

from resources.llm.resource import LLMResource, llm_from_env

__all__ = ["LLMResource", "llm_from_env"]
