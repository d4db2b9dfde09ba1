"""The suite runs offline, and the command line lists every command of DESIGN.md."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.conftest import NetworkRefused
from ui import cli

DESIGN_COMMANDS = {"chat", "advise", "search", "validate-data", "train", "jobs", "doctor", "index", "ask"}


def test_connections_beyond_loopback_are_refused():
    with pytest.raises(NetworkRefused):
        socket.create_connection(("93.184.216.34", 80), timeout=1)
    with pytest.raises(NetworkRefused):
        socket.getaddrinfo("huggingface.co", 443)


def test_loopback_connections_still_work():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=2)
    client.close()
    server.close()


def test_help_lists_every_command_of_the_design():
    out = subprocess.run([sys.executable, "-m", "ui.cli", "--help"], capture_output=True, text=True, check=True).stdout
    for command in DESIGN_COMMANDS:
        assert f"    {command}" in out, command


def test_every_command_has_a_handler():
    assert set(cli.HANDLERS) >= DESIGN_COMMANDS


def test_doctor_names_both_bundled_models_and_exits_zero():
    result = subprocess.run([sys.executable, "-m", "ui.cli", "doctor"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smollm2" in result.stdout and "minilm" in result.stdout


def test_doctor_reports_an_unwritable_home_with_a_fix_and_exit_one(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("TUNEWISE_HOME", str(blocker / "home"))
    result = subprocess.run([sys.executable, "-m", "ui.cli", "doctor"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "not writable" in result.stdout and "Traceback" not in result.stdout + result.stderr
