"""What a step's operator gets in its context besides the batch: sessions over the run's resources.

Resources are per run; services are per step. An LLM step gets a fresh ``LLMSession`` (``ctx.llm``) so its
counters (requests, cache hits, failures, tokens, latency) are that step's alone and land in its metadata and
in ``_dataflow.step_stats``. A dedup step gets ``ctx.state``: its index over the partitions before this one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SERVICE_RESOURCE_KEYS = {"llm": "llm", "sql": "sql", "sandbox": "sandbox", "embed": "embed"}


@dataclass
class StepServices:
    """The context services of one step run and the metrics they collected."""

    services: dict[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, float | int | str]:
        """Service counters to merge into the step's metrics (``llm_requests``, ``llm_model``…)."""
        found: dict[str, float | int | str] = {}
        embed = self.services.get("embed")
        if embed is not None and hasattr(embed, "metrics"):
            found |= embed.metrics()
        for name in ("sql", "sandbox"):
            service = self.services.get(name)
            if service is not None and hasattr(service, "metrics"):
                found |= service.metrics()
        llm = self.services.get("llm")
        if llm is None or not hasattr(llm, "stats"):
            return found
        return found | {"llm_backend": llm.backend.name, "llm_model": llm.model, **llm.stats.summary()}


def resource_keys(needs: set[str]) -> set[str]:
    """Dagster resource keys an operator's ``requires`` calls for."""
    return {SERVICE_RESOURCE_KEYS[name] for name in needs if name in SERVICE_RESOURCE_KEYS}


def step_services(resources: Any, needs: set[str], state: Callable[[], Any] | None = None) -> StepServices:
    """Open the services a step needs from the run's resources (``state``: builds ``ctx.state`` when needed)."""
    services: dict[str, Any] = {}
    for name in needs & set(SERVICE_RESOURCE_KEYS):
        resource = getattr(resources, SERVICE_RESOURCE_KEYS[name])
        services[name] = resource.session() if hasattr(resource, "session") else resource
    if "state" in needs and state is not None:
        services["state"] = state()
    return StepServices(services)
