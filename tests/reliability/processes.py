"""Killing a worker process at a known point of its work, for the crash tests."""

import os
import signal
import subprocess


def sigkill_at(process: subprocess.Popen, *, line_starts_with: str, timeout: float) -> None:
    """Wait for the worker's line saying where it is, then SIGKILL it there (no clean-up of its own runs).

    The worker prints the line and then waits, so it is killed at exactly that point; its
    output pipes are closed afterwards in every case.
    """
    try:
        line = process.stdout.readline()
        assert line.startswith(line_starts_with), (line, process.stderr.read() if process.poll() is not None else "")
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=timeout) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()
