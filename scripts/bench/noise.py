"""How much of the machine the bench had: CPU used by other processes while it measured.

On a shared machine (CI, colleagues running tests) a timing is only as good as the CPU it got.
`CpuMeter` reads /proc (Linux; elsewhere it reports nothing) around a measurement: the whole
machine's busy time, and the busy time of the bench's own processes (this one, its children,
and PostgreSQL's processes for the bench database). The rest was someone else's.
"""

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_ticks() -> tuple[int, int, int, int] | None:
    """Clock ticks of all CPUs since boot: (processes, interrupts, steal, total).

    Interrupt time (mostly the loopback network the bench drives) belongs to no process;
    steal is time the hypervisor gave to other machines.
    """
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    except (OSError, ValueError):
        return None
    total = sum(fields[:8])  # guest time is already in user time
    return user + nice + system, irq + softirq, steal, total


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, user+system ticks) of a process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _descendants(root: int) -> set[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            parents.setdefault(stat[0], []).append(int(entry.name))
    found, todo = {root}, [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _database_backends() -> set[int]:
    """PostgreSQL's processes for the bench database, and its shared background processes
    (WAL writer, checkpointer, autovacuum), which mostly write what the bench inserts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() OR backend_type <> 'client backend'"
        )
        return {row[0] for row in cursor.fetchall()}


class CpuMeter:
    """`meter = CpuMeter(); …measure…; meter.stop()` → shares of the machine's CPU time."""

    def __init__(self):
        self._start = _machine_ticks()
        self._ours = self._ours_ticks()

    @staticmethod
    def _ours_ticks() -> dict[int, int]:
        pids = _descendants(os.getpid()) | _database_backends()
        return {pid: stat[1] for pid in pids if (stat := _stat(pid))}

    def stop(self) -> dict:
        end = _machine_ticks()
        if self._start is None or end is None:
            return {}
        # A process of ours that appeared meanwhile (a reconnect) started after the start.
        ours = sum(ticks - self._ours.get(pid, 0) for pid, ticks in self._ours_ticks().items())
        processes, interrupts, steal, total = (b - a for a, b in zip(self._start, end, strict=True))
        if total <= 0:
            return {}
        return {
            "cpu_seconds": total / _TICKS,
            "idle_share": (total - processes - interrupts - steal) / total,
            "bench_share": ours / total,
            "interrupts_share": interrupts / total,
            "steal_share": steal / total,
            "others_share": max(0.0, (processes - ours) / total),
        }
