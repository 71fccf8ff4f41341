"""Figures, targets and the output: a table on stdout, JSON under var/bench/.

A figure keeps every run's value; the table shows the median and the spread (min–max). A
target is either about performance (in `--smoke` mode it is shown but never fails the run:
timing on a shared CI machine is noise) or about correctness (it always can fail the run).
"""

import json
import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PERFORMANCE, CORRECTNESS = "performance", "correctness"


@dataclass
class Figure:
    name: str
    values: list[float]
    unit: str = ""
    digits: int = 1

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def show(self, value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.{self.digits}f}"

    def summary(self) -> dict:
        return {
            "unit": self.unit,
            "median": self.median,
            "min": min(self.values, default=None),
            "max": max(self.values, default=None),
            "values": self.values,
        }


@dataclass
class Target:
    name: str
    value: float | None
    limit: float
    op: str  # "<=" or ">="
    kind: str = PERFORMANCE
    detail: str = ""

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit

    def verdict(self, smoke: bool) -> str:
        if self.met:
            return "PASS"
        return "INFO" if smoke and self.kind == PERFORMANCE else "FAIL"


@dataclass
class ScenarioResult:
    name: str
    figures: list[Figure] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def figure(self, name: str, values: list[float], unit: str = "", digits: int = 1) -> Figure:
        found = Figure(name, [float(v) for v in values if v is not None], unit, digits)
        self.figures.append(found)
        return found

    def target(self, name: str, value, limit, op: str, kind=PERFORMANCE, detail="") -> None:
        self.targets.append(Target(name, value, limit, op, kind, detail))


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_info(pg_version: str) -> dict:
    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if "MemTotal" in line
        ),
        0,
    )
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "django": _version("django"),
        "gunicorn": _version("gunicorn"),
        "load_average_at_start": os.getloadavg(),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_tree_modified": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return ""


def _git(*args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *args],  # noqa: S607 - git from PATH, as make uses it
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [_row(header, widths), _row(["-" * w for w in widths], widths)]
    return "\n".join([*lines, *(_row(r, widths) for r in rows)])


def render(results: list[ScenarioResult], machine: dict, smoke: bool) -> str:
    out = [
        f"Machine: {machine['cpu_model']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM, "
        f"Python {machine['python']}, PostgreSQL {machine['postgresql']}, "
        f"load at start {', '.join(f'{x:.2f}' for x in machine['load_average_at_start'])}"
    ]
    for result in results:
        rows = [
            [
                f.name,
                f.show(f.median),
                f"{f.show(min(f.values, default=None))} – {f.show(max(f.values, default=None))}",
                str(len(f.values)),
                f.unit,
            ]
            for f in result.figures
        ]
        out += ["", f"== {result.name}", _table(["figure", "median", "spread", "n", "unit"], rows)]
        out += result.notes
    rows = []
    for result in results:
        for t in result.targets:
            value = "n/a" if t.value is None else f"{t.value:,.2f}"
            verdict = t.verdict(smoke)
            rows.append([verdict, f"{result.name}: {t.name}", value, f"{t.op} {t.limit:g}", t.kind])
            if t.detail and verdict != "PASS":
                rows.append(["", f"  ({t.detail})", "", "", ""])
    out += ["", "== targets", _table(["", "target", "value", "limit", "kind"], rows)]
    if smoke:
        out.append("(smoke mode: performance targets are INFO, only correctness can fail)")
    out.append(f"load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return "\n".join(out)


def failed(results: list[ScenarioResult], smoke: bool) -> list[str]:
    return [f"{r.name}: {t.name}" for r in results for t in r.targets if t.verdict(smoke) == "FAIL"]


def write_json(
    directory: Path, *, results: list[ScenarioResult], machine: dict, config: dict, smoke: bool
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC)
    document = {
        "finished_at": stamp.isoformat(timespec="seconds"),
        "mode": "smoke" if smoke else "full",
        "machine": {**machine, "load_average_at_end": os.getloadavg()},
        "config": config,
        "scenarios": {
            r.name: {
                "figures": {f.name: f.summary() for f in r.figures},
                "targets": [{**asdict(t), "verdict": t.verdict(smoke)} for t in r.targets],
                "notes": r.notes,
                "details": r.details,
            }
            for r in results
        },
        "failed": failed(results, smoke),
    }
    text = json.dumps(document, indent=2, default=str)
    path = directory / f"{stamp.strftime('%Y%m%dT%H%M%SZ')}{'-smoke' if smoke else ''}.json"
    path.write_text(text)
    (directory / ("latest-smoke.json" if smoke else "latest.json")).write_text(text)
    return path
