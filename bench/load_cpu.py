"""Where the machine's CPU went during bench/load.py's load window, per part (web, worker, database, ...).

A thread samples every process's CPU time once a second and files it under the part it
belongs to: one of the benchmark's child processes (and their children), a PostgreSQL
process of the benchmark's database or of another one, the benchmark itself, or
anything else on the machine. A part's CPU seconds are what its processes used between
the start and their last sample. Processes that live shorter than a sample interval
(e.g. a PostgreSQL backend for one request) are missed; what the machine spent beyond
the sum of the parts is reported as `unattributed`.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import psutil

OTHER = "other processes (not this benchmark)"


class CpuMeter:
    def __init__(self, *, roots: dict[str, int], database: str, interval: float = 1.0) -> None:
        self.roots = roots  # part name -> pid of the process that started it
        self.database = database
        self.interval = interval
        self.baseline: dict[int, float] = {}
        self.latest: dict[int, tuple[str, float]] = {}
        self.commands: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def _parts(self) -> dict[int, str]:
        parts: dict[int, str] = {os.getpid(): "benchmark"}
        for name, pid in self.roots.items():
            try:
                root = psutil.Process(pid)
                for process in [root, *root.children(recursive=True)]:
                    parts[process.pid] = name
            except psutil.NoSuchProcess:
                continue
        return parts

    def _sample(self) -> dict[int, tuple[str, float]]:
        parts = self._parts()
        sample = {}
        for process in psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]):
            info = process.info
            if info["cpu_times"] is None:
                continue
            seconds = info["cpu_times"].user + info["cpu_times"].system
            part = parts.get(info["pid"])
            if part is None:
                command = " ".join(info["cmdline"] or [])
                if info["name"] == "postgres" or command.startswith("postgres"):
                    part = "postgresql (this database)" if f" {self.database} " in f"{command} " else "postgresql (other)"
                else:
                    part = OTHER
                    self.commands.setdefault(info["pid"], command[:100] or info["name"])
            sample[info["pid"]] = (part, seconds)
        return sample

    def start(self) -> None:
        self._machine_start = psutil.cpu_times()
        self.baseline = {pid: seconds for pid, (_part, seconds) in self._sample().items()}
        self._thread.start()

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(self.interval):
            self.latest.update(self._sample())

    def stop(self) -> dict[str, Any]:
        """CPU seconds per part since `start`, the machine's busy seconds and its capacity (cores x seconds)."""
        self._stop.set()
        self._thread.join()
        self.latest.update(self._sample())
        machine_end = psutil.cpu_times()
        parts: dict[str, float] = {}
        others: list[tuple[float, str]] = []
        for pid, (part, seconds) in self.latest.items():
            used = max(0.0, seconds - self.baseline.get(pid, 0.0))
            parts[part] = parts.get(part, 0.0) + used
            if part == OTHER and used >= 1.0:
                others.append((used, self.commands.get(pid, "?")))
        busy = _busy(machine_end) - _busy(self._machine_start)
        wall = _total(machine_end) - _total(self._machine_start)
        return {
            "parts_cpu_seconds": {part: round(seconds, 1) for part, seconds in sorted(parts.items(), key=lambda item: -item[1])},
            "unattributed_cpu_seconds": round(max(0.0, busy - sum(parts.values())), 1),
            "machine_busy_cpu_seconds": round(busy, 1),
            "machine_capacity_cpu_seconds": round(wall, 1),
            "busiest_other_processes": [[command, round(used, 1)] for used, command in sorted(others, reverse=True)[:5]],
        }


def _busy(times: Any) -> float:
    return _total(times) - times.idle - getattr(times, "iowait", 0.0)


def _total(times: Any) -> float:
    return sum(times)
