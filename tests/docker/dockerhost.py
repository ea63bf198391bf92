"""A Docker daemon for the image tests: installed by scripts/install-docker.sh, started here.

No image registry is reachable from the test machines, so nothing is pulled: the base image is made
locally with debootstrap (Debian bookworm minbase + python3-venv + ca-certificates, the host's CA
bundle copied in) and imported with ``docker import``. It is kept, like every image, in the
daemon's data root (/var/lib/docker) between runs; ``docker image inspect`` decides whether to
make it again.

When a daemon already answers on the default socket it is used; otherwise
``dockerd --bridge=none --iptables=false`` is started in the background. Test runs on one machine
may overlap (several sessions run the suite at once), so they share that daemon: each run holds a
lease (a file named by its PID) in a state folder, under a file lock, and the run that drops the
last lease stops the dockerd a test run started, by the PID recorded there. A daemon that no test
run started is never stopped. Builds are serialised by a second lock. Every build and container
uses ``--network host``: traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO / "scripts/install-docker.sh"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Bump the tag when the recipe below changes, so cached bases made by an older recipe are not used.
BASE_IMAGE = "ovms-py-test-base:bookworm-1"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DAEMON_START_TIMEOUT = 60.0
DAEMON_STOP_TIMEOUT = 60.0
STATE = Path(tempfile.gettempdir()) / "ovms-py-dockerd"  # lock files, leases, dockerd.pid, log
_children: dict[int, subprocess.Popen] = {}  # dockerd processes this run started (to reap them)


class DockerUnavailable(Exception):
    """No Docker daemon can run here (the reason is the message): the tests skip with it."""


@dataclass
class DockerHost:
    """A reachable Docker daemon and the client that talks to it."""

    client: str
    log_path: Path
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


@contextmanager
def locked(name: str) -> Iterator[None]:
    """An exclusive lock shared by every test run on this machine."""
    STATE.mkdir(mode=0o700, exist_ok=True)
    with open(STATE / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def alive(pid: int) -> bool:
    """``pid`` runs and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def recorded_dockerd() -> int | None:
    """The PID of the dockerd a test run started, if it still runs."""
    try:
        pid = int((STATE / "dockerd.pid").read_text())
    except (OSError, ValueError):
        return None
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return None
    return pid if alive(pid) and Path(command.decode()).name == "dockerd" else None


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


def start() -> DockerHost:
    """Install what is missing, make sure a daemon answers (starting one if needed), take a lease."""
    started = time.monotonic()
    with locked("daemon"):
        install()
        client = client_path()
        host = DockerHost(client, STATE / "dockerd.log")
        host.timings["install"] = time.monotonic() - started
        if not answers(client):
            launch_dockerd(client)
            host.timings["dockerd"] = time.monotonic() - started - host.timings["install"]
        (STATE / "leases").mkdir(exist_ok=True)
        (STATE / "leases" / str(os.getpid())).touch()
    return host


def launch_dockerd(client: str) -> None:
    """Start dockerd in its own session (it outlives this run if another run holds a lease)."""
    if os.geteuid() != 0:
        raise DockerUnavailable("dockerd must run as root and no Docker daemon is running")
    log_path = STATE / "dockerd.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            ["dockerd", "--bridge=none", "--iptables=false", "--ip6tables=false"],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    _children[process.pid] = process
    (STATE / "dockerd.pid").write_text(str(process.pid))
    deadline = time.monotonic() + DAEMON_START_TIMEOUT
    while not answers(client):
        if process.poll() is not None or time.monotonic() > deadline:
            terminate(process.pid)
            process.poll()
            tail = log_path.read_text(errors="replace")[-1500:]
            raise DockerUnavailable(f"dockerd did not start (exit {process.returncode}):\n{tail}")
        time.sleep(0.3)


def release() -> None:
    """Drop this run's lease; the last run out stops the dockerd a test run started, by its PID."""
    with locked("daemon"):
        leases = STATE / "leases"
        (leases / str(os.getpid())).unlink(missing_ok=True)
        for lease in leases.iterdir():
            if not lease.name.isdigit() or not alive(int(lease.name)):
                lease.unlink(missing_ok=True)  # a run that died without releasing
        if any(leases.iterdir()):
            return
        pid = recorded_dockerd()
        if pid is not None:
            terminate(pid)
        (STATE / "dockerd.pid").unlink(missing_ok=True)


def terminate(pid: int) -> None:
    """SIGTERM (dockerd then stops its containerd), wait, SIGKILL if it hangs; reap if ours."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + DAEMON_STOP_TIMEOUT
    while alive(pid) and time.monotonic() < deadline:
        reap(pid)
        time.sleep(0.2)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        if pid in _children:
            _children[pid].wait(10)
    reap(pid)


def reap(pid: int) -> None:
    """Collect the exit status of a dockerd this run started (another run's is not ours to reap)."""
    if pid in _children and _children[pid].poll() is not None:
        del _children[pid]


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
