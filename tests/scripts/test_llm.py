"""Loopback tests of the LLM client and the attribute-query CLI against a real local HTTP server."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts.llm import query_attributes
from scripts.llm.client import ChatClient, LLMHTTPError, MalformedResponseError

SECRET = "sk-test-very-secret-key"


class ScriptedEndpoint:
    """Answers POSTs with scripted (status, headers, body) replies in order and records each request."""

    def __init__(self):
        self.replies = []
        self.requests = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                endpoint.requests.append({
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "body": json.loads(self.rfile.read(length)),
                })
                status, headers, body = endpoint.replies.pop(0)
                payload = body.encode("utf-8")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def reply_content(self, content, status=200, headers=None):
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})
        self.replies.append((status, headers or {}, body))

    def reply_raw(self, status, body, headers=None):
        self.replies.append((status, headers or {}, body))


@pytest.fixture
def endpoint():
    server = ScriptedEndpoint()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(endpoint, sleeps):
    return ChatClient.from_env(
        base_url=endpoint.base_url, model="test-model", api_key=SECRET, max_retries=2, sleep=sleeps.append
    )


def test_complete_json_posts_messages_with_bearer_key_and_parses_reply(client, endpoint):
    endpoint.reply_content('{"answer": [1, 2]}')
    messages = [{"role": "user", "content": "hello"}]
    assert client.complete_json(messages) == {"answer": [1, 2]}
    request = endpoint.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == f"Bearer {SECRET}"
    assert request["body"]["model"] == "test-model"
    assert request["body"]["messages"] == messages


def test_complete_json_accepts_a_fenced_json_reply(client, endpoint):
    endpoint.reply_content('```json\n{"a": 1}\n```')
    assert client.complete_json([{"role": "user", "content": "x"}]) == {"a": 1}


def test_429_is_retried_after_the_retry_after_delay(client, endpoint, sleeps):
    endpoint.reply_raw(429, '{"error": "slow down"}', headers={"Retry-After": "3"})
    endpoint.reply_content('{"ok": true}')
    assert client.complete_json([{"role": "user", "content": "x"}]) == {"ok": True}
    assert sleeps == [3.0]
    assert len(endpoint.requests) == 2


def test_5xx_without_retry_after_backs_off_exponentially_then_fails(client, endpoint, sleeps):
    for _ in range(3):
        endpoint.reply_raw(503, "busy")
    with pytest.raises(LLMHTTPError) as caught:
        client.complete([{"role": "user", "content": "x"}])
    assert caught.value.status == 503
    assert sleeps == [1.0, 2.0]


def test_client_error_is_not_retried_and_never_shows_the_key(client, endpoint, sleeps):
    endpoint.reply_raw(401, f'{{"error": "invalid key {SECRET}"}}')
    with pytest.raises(LLMHTTPError) as caught:
        client.complete([{"role": "user", "content": "x"}])
    assert caught.value.status == 401
    assert sleeps == []
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(client)
    assert SECRET not in str(vars(client))


def test_malformed_model_reply_raises_a_clear_error(client, endpoint):
    endpoint.reply_content("Sure! Here are the attributes: color, shape")
    with pytest.raises(MalformedResponseError, match="not valid JSON"):
        client.complete_json([{"role": "user", "content": "x"}])


def test_non_json_http_body_raises_malformed_response(client, endpoint):
    endpoint.reply_raw(200, "<html>proxy error</html>")
    with pytest.raises(MalformedResponseError, match="did not return JSON"):
        client.complete([{"role": "user", "content": "x"}])


def _run_cli(tmp_path, endpoint, monkeypatch, num_classes=2):
    monkeypatch.setenv("ATP_TEST_KEY", SECRET)
    names = tmp_path / "classnames.txt"
    names.write_text("".join(f"class_{i}\n" for i in range(num_classes)))
    out = tmp_path / "out" / "attributes.json"
    argv = ["--dataset", "Toy", "--classnames-file", str(names), "--out", str(out),
            "--base-url", endpoint.base_url, "--model", "m", "--api-key-env", "ATP_TEST_KEY"]
    return query_attributes.main(argv), out


def test_query_attributes_writes_descriptions_and_five_single_word_bases(tmp_path, endpoint, monkeypatch):
    descriptions = {"class 0": "A red round thing.", "class 1": "A blue square thing."}
    endpoint.reply_content(json.dumps({"descriptions": descriptions}))
    endpoint.reply_content(json.dumps({"COMMON_ATTRIBUTES": ["Color", "shape", "size", "texture", "habitat"]}))
    status, out = _run_cli(tmp_path, endpoint, monkeypatch)
    assert status == 0
    written = json.loads(out.read_text())
    assert written["attributes"] == ["color", "shape", "size", "texture", "habitat"]
    assert written["descriptions"] == descriptions
    assert written["classnames"] == ["class 0", "class 1"]
    assert "class 1: A blue square thing." in endpoint.requests[1]["body"]["messages"][1]["content"]


def test_query_attributes_rejects_multi_word_bases_and_writes_nothing(tmp_path, endpoint, monkeypatch, capsys):
    endpoint.reply_content(json.dumps({"descriptions": {"class 0": "a", "class 1": "b"}}))
    endpoint.reply_content(json.dumps({"COMMON_ATTRIBUTES": ["color", "body shape", "size", "fur", "tail"]}))
    status, out = _run_cli(tmp_path, endpoint, monkeypatch)
    assert status == 1
    assert not out.exists()
    assert "single-word" in capsys.readouterr().err
