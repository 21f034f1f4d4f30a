"""A distribution run killed mid-batch (SIGKILL) and run again sends each message exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from conftest import ROOT
from test_distribute import Handler, free_port, project, send_args  # noqa: F401 - fixture

RECIPIENTS = ["ada@example.org", "emile.roy@example.org", "grace@example.com", "ida.wells@example.com",
              "joe@example.com"]


class SlowHandler(Handler):
    """Takes its time before each message, so that a kill lands in the middle of the batch."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(0.4)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.mark.parametrize("after", [1, 3])
def test_killed_mid_batch_then_rerun_sends_each_message_once(project, after):  # noqa: F811
    handler = SlowHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        command = [sys.executable, str(ROOT / "build.py"), "distribute", "--manuscript", "manuscript", "--out",
                   "dist", "--quiet", "--recipients", "valid.csv", "--batch", "b",
                   *[str(a) for a in send_args(controller.port)]]
        proc = subprocess.Popen(command, cwd=project.root, start_new_session=True)
        deadline = time.monotonic() + 60
        while len(handler.messages) < after and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        sent_before = len(handler.messages)
        assert after <= sent_before < len(RECIPIENTS)

        rerun = subprocess.run(command, cwd=project.root, capture_output=True, text=True, timeout=120)
        per_recipient = Counter(handler.rcpts)
        assert set(per_recipient) == set(RECIPIENTS)
        assert all(n == 1 for n in per_recipient.values()), per_recipient
        # A message the server took while the run was being killed is reported as uncertain, not resent.
        assert rerun.returncode in (0, 1), rerun.stderr
        again = subprocess.run(command, cwd=project.root, capture_output=True, text=True, timeout=120)
        assert Counter(handler.rcpts) == per_recipient
        assert "Traceback" not in again.stderr + rerun.stderr
    finally:
        controller.stop()
