"""Before a step sends its rows: is the LLM endpoint there, and does it serve the model?

A misconfigured endpoint would otherwise cost every row its retries and end in a failure-rate error; a missing
model, a 404 per row. One probe of ``/models`` when the backend is made answers both, in one line: nothing answering
(after the same retries a request gets, so a server that is restarting is waited for), or the list of models the
server has. A server that answers the probe with an HTTP error (a hosted API that wants a key there, say) is taken
as reachable, and the requests tell the rest.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from resources.llm.http_client import RetryPolicy


class LLMUnavailableError(RuntimeError):
    """The LLM cannot be used: its endpoint does not answer, it does not serve the model, or the model is missing."""


def check_endpoint(base_url: str, model: str, api_key: str | None = None, retry: RetryPolicy | None = None,
                   timeout_s: float = 5.0) -> None:
    """Raise ``LLMUnavailableError`` when nothing answers at ``base_url`` (after ``retry``'s attempts) or its
    ``/models`` lacks ``model``."""
    request = urllib.request.Request(f"{base_url.rstrip('/')}/models")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    retry = retry or RetryPolicy(max_retries=0)
    for attempt in range(retry.max_retries + 1):
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                listed = json.load(response).get("data", [])
            break
        except urllib.error.HTTPError:
            return  # it answered: reachable; the requests themselves say what else is wrong
        except (urllib.error.URLError, OSError) as error:
            if attempt == retry.max_retries:
                reason = getattr(error, "reason", error)
                raise LLMUnavailableError(f"LLM endpoint {base_url} is unreachable ({reason}); check "
                                          "DATAFLOW_LLM_BASE_URL or start the server") from error
            time.sleep(retry.delay(attempt, None))
        except ValueError:
            return  # not JSON: not an OpenAI-style list, nothing more to check
    models = [entry.get("id", "") for entry in listed if isinstance(entry, dict)]
    if models and model not in models:
        raise LLMUnavailableError(f"LLM endpoint {base_url} does not serve model {model!r} (it serves: "
                                  f"{', '.join(models[:10])}); check DATAFLOW_LLM_MODEL")
