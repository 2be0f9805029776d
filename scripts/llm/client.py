"""A minimal client for OpenAI-compatible chat-completions endpoints, on urllib only.

Why not the SDK: the project avoids extra dependencies, and the two LLM tools (ATPrompt attribute
bases, AnchorOPT descriptions) only need "send messages, get text/JSON back, survive rate limits".
The API key is held outside the dataclass fields and redacted from every error message, so it can
never reach a log, a traceback or a repr.
"""
import email.utils
import json
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o"
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_MODEL = "OPENAI_MODEL"
ENV_API_KEY = "OPENAI_API_KEY"

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_FENCED_JSON = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


class LLMError(RuntimeError):
    """Any failure talking to the endpoint."""


class LLMHTTPError(LLMError):
    """The endpoint answered with a non-success status (after retries, for retryable ones)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class MalformedResponseError(LLMError):
    """The endpoint or the model answered, but not in the expected shape."""


class _Secret:
    """Holds the API key; its repr and str never show it."""

    def __init__(self, value):
        self._value = value or ""

    def reveal(self):
        return self._value

    def redact(self, text):
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self):
        return "<secret>"

    __str__ = __repr__


def add_endpoint_arguments(parser):
    """The endpoint options every LLM tool takes; read them back with ``ChatClient.from_args``."""
    parser.add_argument("--base-url", default=None, help=f"endpoint base URL (default: ${ENV_BASE_URL})")
    parser.add_argument("--model", default=None, help=f"model name (default: ${ENV_MODEL} or {DEFAULT_MODEL})")
    parser.add_argument("--api-key-env", default=ENV_API_KEY, help="name of the env variable holding the key")


@dataclass
class ChatClient:
    """Chat-completions client with exponential back-off on 429/5xx (honouring ``Retry-After``)."""

    base_url: str
    model: str
    api_key: _Secret = field(repr=False)
    timeout_s: float = 120.0
    max_retries: int = 5
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self):
        if not isinstance(self.api_key, _Secret):
            self.api_key = _Secret(self.api_key)

    @classmethod
    def from_env(cls, base_url=None, model=None, api_key=None, api_key_env=ENV_API_KEY, **options):
        """Explicit arguments win; otherwise ``OPENAI_BASE_URL``, ``OPENAI_MODEL`` and ``api_key_env``."""
        key = api_key if api_key is not None else os.environ.get(api_key_env, "")
        if not key:
            raise LLMError(f"No API key: set the environment variable {api_key_env} (or pass api_key=...)")
        return cls(
            base_url=base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL,
            model=model or os.environ.get(ENV_MODEL) or DEFAULT_MODEL,
            api_key=_Secret(key),
            **options,
        )

    @classmethod
    def from_args(cls, args, **options):
        """The client the options of ``add_endpoint_arguments`` describe."""
        return cls.from_env(base_url=args.base_url, model=args.model, api_key_env=args.api_key_env, **options)

    @property
    def endpoint(self):
        return self.base_url.rstrip("/") + "/chat/completions"

    def complete(self, messages, temperature=0.0, **extra):
        """Return the assistant text of the first choice."""
        body = {"model": self.model, "messages": messages, "temperature": temperature, **extra}
        reply = self._post_with_retries(body)
        try:
            content = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise MalformedResponseError(
                f"Reply from {self.endpoint} has no choices[0].message.content: {_preview(reply)}"
            ) from None
        if not isinstance(content, str):
            raise MalformedResponseError(f"Reply from {self.endpoint} has non-text content: {_preview(content)}")
        return content

    def complete_json(self, messages, **options):
        """Return the assistant reply parsed as JSON (a ```json fence around it is accepted)."""
        return parse_json_reply(self.complete(messages, **options))

    def _post_with_retries(self, body):
        for attempt in range(self.max_retries + 1):
            try:
                return self._post(body)
            except urllib.error.HTTPError as error:
                status = error.code
                detail = self.api_key.redact(_read_error_body(error))
                if status not in RETRYABLE_STATUS or attempt == self.max_retries:
                    raise LLMHTTPError(status, f"{self.endpoint} answered HTTP {status}: {detail}") from None
                self.sleep(self._delay(attempt, error.headers.get("Retry-After")))
            except urllib.error.URLError as error:
                reason = self.api_key.redact(str(error.reason))
                if attempt == self.max_retries:
                    raise LLMError(f"Cannot reach {self.endpoint}: {reason}") from None
                self.sleep(self._delay(attempt, None))
        raise AssertionError("unreachable")

    def _post(self, body):
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps(body).encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                "Authorization": "Bearer " + self.api_key.reveal(),
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            raw = response.read().decode("utf-8", errors="replace")
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise MalformedResponseError(
                f"{self.endpoint} did not return JSON: {_preview(self.api_key.redact(raw))}"
            ) from None

    def _delay(self, attempt, retry_after):
        """Retry-After (seconds or HTTP date) when given, else ``backoff_s * 2**attempt``; capped."""
        delay = _parse_retry_after(retry_after)
        if delay is None:
            delay = self.backoff_s * (2**attempt)
        return min(max(delay, 0.0), self.max_backoff_s)


def parse_json_reply(text):
    """Parse a model reply as JSON; raise a one-line error quoting the start of the reply otherwise."""
    stripped = text.strip()
    fenced = _FENCED_JSON.match(stripped)
    if fenced:
        stripped = fenced.group(1)
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as error:
        raise MalformedResponseError(f"Model reply is not valid JSON ({error.msg}): {_preview(text)}") from None


def _parse_retry_after(value):
    if value is None:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def _read_error_body(error):
    try:
        return _preview(error.read().decode("utf-8", errors="replace"))
    except OSError:
        return "<no body>"


def _preview(obj, limit=200):
    text = obj if isinstance(obj, str) else json.dumps(obj)[:limit * 2]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
