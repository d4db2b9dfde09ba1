"""Shared test set-up: offline environment, a private TUNEWISE_HOME per test, no network beyond loopback,
and a tiny random model with the bundled real tokenizer."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

from trainer.state.home import OFFLINE_ENV

# Process set-up, before any test module imports transformers, gradio or chromadb (they read these at import).
for _key, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_key, _value)

import pytest  # noqa: E402

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkRefused(OSError):
    pass


def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkRefused(f"test tried to reach {address!r}: only loopback is allowed")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise NetworkRefused(f"test tried to reach {address!r}: only loopback is allowed")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not _is_loopback((host if isinstance(host, str) else host.decode(), 0)):
        raise NetworkRefused(f"test tried to resolve {host!r}: only loopback is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test runs with non-loopback connections refused: the suite proves tunewise works offline."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)


@pytest.fixture(autouse=True)
def tunewise_home(tmp_path, monkeypatch) -> Path:
    """A private state directory for every test; engines cached for another home are dropped."""
    from trainer.state import db

    folder = tmp_path / "tunewise-home"
    monkeypatch.setenv("TUNEWISE_HOME", str(folder))
    db.reset_engines()
    yield folder
    db.reset_engines()


@pytest.fixture(autouse=True)
def preflight_off(monkeypatch):
    """A job created in a test gets no background pre-flight probe (a child process training a few steps) unless
    the test turns it on with `monkeypatch.setenv("TUNEWISE_PREFLIGHT", "on")`: on 2 shared cores, probes of
    every test's jobs would slow the suite and race the tests that time nothing but approve at once."""
    monkeypatch.setenv("TUNEWISE_PREFLIGHT", "off")


@pytest.fixture(scope="session")
def tokenizer_cache(tmp_path_factory) -> Path:
    """The bundled tokenizer, read from the GGUF once per test session (≈ 4 s)."""
    return tmp_path_factory.mktemp("bundled-tokenizer")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tokenizer_cache) -> Path:
    """A random-weight 2-layer Llama (≈ 3.3 M parameters) with the real SmolLM2 tokenizer, built once per session.
    Tests that train copy nothing: recipes read it and write their output elsewhere."""
    from trainer.base_models import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny-model"), tokenizer_cache=tokenizer_cache)
