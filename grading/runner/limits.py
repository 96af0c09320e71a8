"""Per-run resource limits (SANDBOX.md "Starting limits for CPU checks").

Read from the environment with safe defaults; the Django settings may export the same
variables. Nothing here imports Django.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from typing import Any


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    """Limits for one grading run. ``None`` wall/import/cpu values derive from the spec."""

    wall_s: float | None = None  # whole run incl. import; None -> ChallengeSpec.wall_s
    import_s: float | None = None  # importing the module; None -> wall_s
    probe_timeout_s: float | None = None  # cap on every probe's own timeout_s (tests)
    cpu_s: float | None = None  # RLIMIT_CPU; None -> wall_s
    memory_mb: int = 2048  # RSS watchdog and RLIMIT_AS headroom (no AS on CUDA hosts)
    threads: int = 50
    nofile: int = 64
    fsize_bytes: int = 8 << 20
    output_keep: int = 64 << 10  # printed output kept for the report
    output_kill: int = 1 << 20  # printed output that stops the run
    max_result_bytes: int = 64 << 20  # one result frame
    max_total_bytes: int = 256 << 20  # everything the sandbox sends for one run
    grace_s: float = 5.0  # trusted side's extra wait over wall_s before killing the zygote

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            memory_mb=env_int("GRADING_MEMORY_MB", 2048),
            threads=env_int("GRADING_MAX_THREADS", 50),
            grace_s=env_float("GRADING_GRACE_S", 5.0),
        )

    def with_(self, **changes: Any) -> Limits:
        return replace(self, **changes)

    def resolved(self, spec_wall_s: float) -> dict[str, Any]:
        """Concrete numbers for the sandbox's job frame."""
        wall = float(self.wall_s if self.wall_s is not None else spec_wall_s)
        data = asdict(self)
        data.update(
            wall_s=wall,
            import_s=float(self.import_s if self.import_s is not None else wall),
            cpu_s=float(self.cpu_s if self.cpu_s is not None else wall),
        )
        return data
