from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_it_describes_the_whole_production_stack_in_compose() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert {"postgres", "redis", "web", "worker-cpu", "worker-gpu", "beat"} <= set(services)
    assert "grading-gpu" in " ".join(services["worker-gpu"]["command"])
    assert "grading-cpu" in " ".join(services["worker-cpu"]["command"])
    gpu = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia"


def test_it_pins_torch_to_the_cpu_wheel_on_disk() -> None:
    lines = (ROOT / "requirements.txt").read_text().splitlines()

    assert "torch==2.13.0" in lines
