"""Loopback tests of the LLM client and the attribute-query CLI against a real local HTTP server."""
import json

import pytest

from scripts.llm import query_attributes
from scripts.llm.client import ChatClient, LLMHTTPError, MalformedResponseError
from tests.fixtures.llm_endpoint import SECRET


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
