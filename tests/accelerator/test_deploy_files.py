from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
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


def _collectstatic_step() -> str:
    """The Dockerfile's collectstatic RUN step, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    steps = [line for line in text.splitlines() if "collectstatic" in line]
    assert len(steps) == 1, steps
    return steps[0].removeprefix("RUN").strip()


def test_the_images_collectstatic_writes_the_manifest_the_running_image_serves_from(
    tmp_path: Path,
) -> None:
    # The image runs with DEBUG off, so whitenoise serves from its manifest: a
    # collectstatic run with DEBUG on writes none and every page would fail.
    step = _collectstatic_step()
    env = {"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path), "HOME": str(tmp_path)}
    assignments, command = [], shlex.split(step)
    while "=" in command[0] and not command[0].startswith("-"):
        assignments.append(command.pop(0))
    env |= dict(item.split("=", 1) for item in assignments)
    command[0] = sys.executable if command[0] == "python" else command[0]
    subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=300)

    manifest = json.loads((tmp_path / "staticfiles" / "staticfiles.json").read_text())
    assert "css/site.css" in manifest["paths"]
    assert "js/playground-run.js" in manifest["paths"]
