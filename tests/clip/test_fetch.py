"""python -m clip.fetch: weights from a (loopback) mirror into the cache, verified by SHA-256."""
import hashlib

import pytest

from clip import fetch
from clip.pretrained import PRETRAINED, PretrainedWeights

PAYLOAD = b"not really a checkpoint, but its digest is what counts here"
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
URL = f"https://openaipublic.azureedge.net/clip/models/{SHA256}/Tiny.pt"


@pytest.fixture
def tiny_entry(monkeypatch):
    monkeypatch.setitem(PRETRAINED, "Tiny", PretrainedWeights(URL, SHA256))


def test_fetch_puts_verified_weights_in_the_cache(tmp_path, loopback_server, tiny_entry, capsys):
    loopback_server.put(f"/clip/models/{SHA256}/Tiny.pt", data=PAYLOAD)
    cache = tmp_path / "cache"
    assert fetch.main(["Tiny", "--root", str(cache), "--from", loopback_server.url]) == 0
    assert (cache / "Tiny.pt").read_bytes() == PAYLOAD
    assert fetch.main(["Tiny", "--root", str(cache), "--from", loopback_server.url]) == 0
    assert len(loopback_server.requests) == 1  # the cached copy is verified, not fetched again


def test_fetch_rejects_a_wrong_digest(tmp_path, loopback_server, tiny_entry, capsys):
    loopback_server.put(f"/clip/models/{SHA256}/Tiny.pt", data=PAYLOAD + b"!")
    assert fetch.main(["Tiny", "--root", str(tmp_path), "--from", loopback_server.url]) == 1
    assert f"expected {SHA256}" in capsys.readouterr().err
    assert not (tmp_path / "Tiny.pt").exists()
