"""`shiftdesk serve`: the app in a browser, loopback by default."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from typer.testing import CliRunner

from shiftdesk.cli import app
from shiftdesk.cli.serve_cmd import child_command, is_loopback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_on_loopback() -> None:
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "shiftdesk", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    body = resp.read().decode()
                    assert resp.status == 200
                break
            except OSError as err:
                if proc.poll() is not None:
                    output = proc.stdout.read().decode() if proc.stdout else "exited"
                    raise AssertionError(output) from err
                time.sleep(0.3)
        assert "shiftdesk" in body
        assert "textual" in body.lower()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_refuses_a_public_address_without_acknowledgement() -> None:
    CliRunner().invoke(app, ["init"])
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 2
    assert "WARNING" in result.stderr and "--i-have-a-tls-proxy" in result.stderr


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.1.2.3")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_child_command_keeps_the_options() -> None:
    cmd = child_command("/etc/shift desk.toml", "sqlite:////tmp/x.db", "zh_CN")
    assert "'/etc/shift desk.toml'" in cmd and "--locale zh_CN" in cmd and "-m shiftdesk" in cmd
