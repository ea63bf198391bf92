"""A Docker daemon for the image tests: installed by scripts/install-docker.sh, started here.

No image registry is reachable from the test machines, so nothing is pulled: the base image is made
locally with debootstrap (Debian bookworm minbase + python3-venv + ca-certificates, the host's CA
bundle copied in) and imported with ``docker import``. It is kept, like every image, in the
daemon's data root (/var/lib/docker) between runs; ``docker image inspect`` decides whether to
make it again.

When a daemon already answers on the default socket it is used and left running; otherwise
``dockerd --bridge=none --iptables=false`` is started in the background and stopped by its PID.
Every build and container uses ``--network host``: traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO / "scripts/install-docker.sh"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Bump the tag when the recipe below changes, so cached bases made by an older recipe are not used.
BASE_IMAGE = "ovms-py-test-base:bookworm-1"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DAEMON_START_TIMEOUT = 60.0


class DockerUnavailable(Exception):
    """No Docker daemon can run here (the reason is the message): the tests skip with it."""


@dataclass
class DockerHost:
    """A reachable Docker daemon and the client that talks to it."""

    client: str
    log_path: Path
    process: subprocess.Popen | None = None  # the dockerd we started, None when one was running
    timings: dict[str, float] = field(default_factory=dict)

    def run(self, *args: str, timeout: float = 600, check: bool = True,
            input_bytes: bytes | None = None) -> subprocess.CompletedProcess:
        """``docker ARGS``; output captured as text (stdout) with stderr folded in on failure."""
        result = subprocess.run([self.client, *args], input=input_bytes, capture_output=True,
                                timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} exited {result.returncode}:\n"
                               f"{result.stdout.decode(errors='replace')[-4000:]}\n"
                               f"{result.stderr.decode(errors='replace')[-4000:]}")
        return result

    def output(self, *args: str, timeout: float = 600) -> str:
        return self.run(*args, timeout=timeout).stdout.decode().strip()

    def has_image(self, name: str) -> bool:
        return self.run("image", "inspect", name, check=False).returncode == 0

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the dockerd we started (SIGTERM by PID; it stops its own containerd)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def install() -> None:
    """Run scripts/install-docker.sh (idempotent); DockerUnavailable when it cannot install."""
    result = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900,
                            check=False)
    if result.returncode != 0:
        raise DockerUnavailable(f"{INSTALL_SCRIPT.name} exited {result.returncode}: "
                                f"{(result.stderr or result.stdout).strip()[-1000:]}")


def client_path() -> str:
    """The docker client of dockerd's package (same version), else the first on PATH."""
    dockerd = shutil.which("dockerd")
    if dockerd:
        prefix = Path(dockerd).resolve().parent.parent  # /usr/sbin/dockerd -> /usr
        for candidate in (prefix / "bin/docker", prefix / "sbin/docker"):
            if candidate.exists():
                return str(candidate)
    found = shutil.which("docker")
    if found is None:
        raise DockerUnavailable("no docker client on PATH")
    return found


def answers(client: str) -> bool:
    try:
        return subprocess.run([client, "info"], capture_output=True, timeout=20, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def start(log_dir: Path) -> DockerHost:
    """Install what is missing and return a reachable daemon (started here if none runs)."""
    started = time.monotonic()
    install()
    client = client_path()
    log_path = log_dir / "dockerd.log"
    host = DockerHost(client, log_path)
    host.timings["install"] = time.monotonic() - started
    if answers(client):
        return host
    if os.geteuid() != 0:
        raise DockerUnavailable("dockerd must run as root and no Docker daemon is running")
    with open(log_path, "wb") as log_file:
        host.process = subprocess.Popen(
            ["dockerd", "--bridge=none", "--iptables=false", "--ip6tables=false"],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + DAEMON_START_TIMEOUT
    while not answers(client):
        if host.process.poll() is not None or time.monotonic() > deadline:
            host.stop()
            tail = log_path.read_text(errors="replace")[-1500:]
            raise DockerUnavailable(f"dockerd did not start (exit {host.process.returncode}):\n{tail}")
        time.sleep(0.3)
    host.timings["dockerd"] = time.monotonic() - started - host.timings["install"]
    return host


def ensure_base_image(host: DockerHost, work: Path) -> str:
    """The debootstrap'd Python base image, made and imported unless the daemon already has it."""
    if host.has_image(BASE_IMAGE):
        return BASE_IMAGE
    started = time.monotonic()
    rootfs = Path(tempfile.mkdtemp(prefix="rootfs-", dir=work))
    try:
        result = subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
             "bookworm", str(rootfs)],
            capture_output=True, text=True, timeout=900, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"debootstrap exited {result.returncode}:\n{result.stdout[-3000:]}"
                               f"\n{result.stderr[-3000:]}")
        slim_rootfs(rootfs)
        # Certificate authorities of this machine (registries are reached through them).
        shutil.copy(CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            [host.client, "import", "--change", f"ENV PATH={DEFAULT_PATH}",
             "--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["/bin/bash"]', "-", BASE_IMAGE],
            stdin=tar.stdout, capture_output=True, text=True, timeout=300, check=False,
        )
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            raise RuntimeError(f"docker import failed: {imported.stderr[-2000:]}")
    finally:
        remove_rootfs(rootfs)
    host.timings["base_image"] = time.monotonic() - started
    return BASE_IMAGE


def slim_rootfs(rootfs: Path) -> None:
    """Drop what a runtime base does not need: downloaded .debs, apt lists, docs, locales."""
    for pattern in ("var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "usr/share/doc/*",
                    "usr/share/man/*", "usr/share/locale/*", "usr/share/info/*"):
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def remove_rootfs(rootfs: Path) -> None:
    """Delete the debootstrap tree, unless something is still mounted inside it (then keep it)."""
    mounts = Path("/proc/mounts").read_text().split("\n")
    if any(line.split(" ")[1].startswith(str(rootfs)) for line in mounts if line.count(" ") > 2):
        return
    shutil.rmtree(rootfs, ignore_errors=True)


def build_image(host: DockerHost, base_image: str, tag: str) -> None:
    """Build docker/Dockerfile on ``base_image`` as ``tag``.

    The build stage is tagged too (``<tag>-build``), so the dependency layer survives the prune of
    superseded images below and the next build after a code change reuses it.
    """
    started = time.monotonic()
    common = ["build", "--network", "host", "--build-arg", f"BASE_IMAGE={base_image}",
              "-f", str(REPO / "docker/Dockerfile")]
    name, _, version = tag.partition(":")
    host.run(*common, "--target", "build", "-t", f"{name}-build:{version or 'latest'}", str(REPO),
             timeout=900)
    host.run(*common, "-t", tag, str(REPO), timeout=600)
    host.run("image", "prune", "--force", "--filter", "label=org.opencontainers.image.title")
    host.timings["image_build"] = time.monotonic() - started
