"""The deployment recipes run: with a Docker daemon the image is built and serves
``/livez``; without one (most CI machines) the files are checked against the code: every
setting they name is one Hearth reads, Redis keeps an append-only file, two processes sit
behind a proxy that health-checks ``/readyz``, the image runs as a non-root user with the
``webrtc`` extra as a build argument, and the Kubernetes example's YAML parses with its
probes, its drain and Redis's persistence."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from server.settings import Settings
from server.settings_reference import REFERENCE
from tests.support import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = (ROOT / "compose.yaml").read_text()
CADDYFILE = (ROOT / "deploy" / "Caddyfile").read_text()
DEPLOY_DOC = (ROOT / "docs" / "deploy.md").read_text()
KNOWN = {s.variable for s in REFERENCE}
VARIABLE = re.compile(r"\b(HEARTH_[A-Z_]+|REDIS_URL)\b")


def _docker_daemon() -> bool:
    if shutil.which("docker") is None:
        return False
    answer = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    return answer.returncode == 0


def test_every_setting_the_recipes_name_is_one_hearth_reads() -> None:
    for name, text in (
        ("Dockerfile", DOCKERFILE),
        ("compose.yaml", COMPOSE),
        ("docs/deploy.md", DEPLOY_DOC),
    ):
        named = set(VARIABLE.findall(text))
        assert named, name
        assert named <= KNOWN, f"{name} names unknown settings: {named - KNOWN}"


def test_compose_has_redis_with_aof_two_processes_and_a_websocket_proxy() -> None:
    compose = yaml.safe_load(COMPOSE)
    services = compose["services"]
    assert "--appendonly" in services["redis"]["command"]
    assert (
        services["redis"]["command"][services["redis"]["command"].index("--appendonly") + 1]
        == "yes"
    )
    hearths = [s for name, s in services.items() if name.startswith("hearth-")]
    assert len(hearths) == 2
    drain_s = Settings.from_env({"HEARTH_SECRET": "x" * 40}).drain_timeout_ms / 1000
    for hearth in hearths:
        env = hearth["environment"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "HEARTH_SECRET" in env
        assert env["HEARTH_TRUST_PROXY"] == "1"
        assert hearth["build"]["args"]["WEBRTC"] in {"0", "1"}
        grace = int(hearth["stop_grace_period"].removesuffix("s"))
        assert grace > int(env.get("HEARTH_DRAIN_TIMEOUT_MS", drain_s * 1000)) / 1000
    proxy = services["proxy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert "reverse_proxy hearth-1:8080 hearth-2:8080" in CADDYFILE
    assert "health_uri /readyz" in CADDYFILE
    assert "respond @metrics 404" in CADDYFILE


def test_the_image_is_slim_non_root_and_takes_webrtc_as_a_build_argument() -> None:
    assert re.search(r"^FROM python:3\.\d+-slim$", DOCKERFILE, re.M)
    assert "ARG WEBRTC=0" in DOCKERFILE
    assert 'extras="fast,webrtc"' in DOCKERFILE  # WEBRTC=1 adds aiortc to uvloop
    assert '-c constraints.txt -e ".[$extras]"' in DOCKERFILE  # the versions the suite passed
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.M)
    assert users
    assert users[-1] not in {"root", "0"}
    assert '"--host", "0.0.0.0"' in DOCKERFILE
    assert "/livez" in DOCKERFILE


def _yaml_blocks(markdown: str) -> list[Any]:
    blocks = re.findall(r"```yaml\n(.*?)```", markdown, re.S)
    return [doc for block in blocks for doc in yaml.safe_load_all(block)]


def test_the_kubernetes_example_parses_with_probes_a_drain_and_redis_persistence() -> None:
    docs = {doc["kind"]: doc for doc in _yaml_blocks(DEPLOY_DOC)}
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    (hearth,) = pod["containers"]
    assert hearth["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert hearth["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert "preStop" in hearth["lifecycle"]
    drain_s = Settings.from_env({"HEARTH_SECRET": "x" * 40}).drain_timeout_ms / 1000
    assert pod["terminationGracePeriodSeconds"] > drain_s
    assert pod["securityContext"]["runAsNonRoot"] is True
    redis = docs["StatefulSet"]["spec"]
    assert redis["template"]["spec"]["containers"][0]["args"][:2] == ["--appendonly", "yes"]
    assert redis["volumeClaimTemplates"]


@pytest.mark.skipif(not _docker_daemon(), reason="no Docker daemon: the files are checked above")
def test_the_image_builds() -> None:
    built = subprocess.run(
        ["docker", "build", "-q", "-t", "hearth-test", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert built.returncode == 0, built.stderr
