"""A whole class on a real JupyterHub, on this machine: deploy/ run under a throwaway prefix.

``HubClass`` creates Unix groups and accounts (``deploy/add-user.sh``), the students' environment
(``deploy/make-*-env.sh``), an exchange and state folders under ``/srv/<prefix>``, the
instructor's course folder in the instructor's private home, and runs JupyterHub with
``deploy/jupyterhub_config.py`` (PAM login, one Unix user per server) and configurable-http-proxy
on 127.0.0.1. ``close`` undoes all of it, and is safe to call after any failure and twice.

Everything it creates is named ``optx_<6 hex digits>...`` so that runs never collide. Both
environments are fresh virtual environments made by deploy/'s scripts with Debian's Python; the
hub itself runs from the project's environment, as root.
"""

from __future__ import annotations

import grp
import importlib.metadata
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
ARTIFACTS = REPO_ROOT / "artifacts" / "hub"
HUB_ENV = Path(sys.prefix)  # JupyterHub itself runs from the project's environment, as root
COURSE_ID = "optimizers"  # the course's nbgrader_config.py sets it; the exchange must agree
HUB_START_S = 120
SERVER_START_S = 240
# Environments built before by deploy/make-*-env.sh, to skip building them (development only).
REUSE_STUDENT_ENV = "OPTX_HUB_STUDENT_ENV"
REUSE_TEACHER_ENV = "OPTX_HUB_INSTRUCTOR_ENV"
SYSTEM_PYTHON = os.environ.get("OPTX_HUB_PYTHON", "/usr/bin/python3")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_requirements() -> str | None:
    """Why this machine cannot run a hub class, or None."""
    if os.geteuid() != 0:
        return "needs root: it creates Unix accounts and runs JupyterHub with PAM"
    for tool in ("useradd", "userdel", "groupadd", "chpasswd", "runuser"):
        if shutil.which(tool) is None:
            return f"`{tool}` is missing"
    if shutil.which("configurable-http-proxy") is None:
        return "configurable-http-proxy is missing (npm install -g configurable-http-proxy)"
    if importlib.util.find_spec("jupyterhub") is None:
        return "jupyterhub is not installed (pip install -e '.[hub]')"
    return None


@dataclass
class User:
    name: str
    password: str
    role: str  # student | instructor
    token: str = ""

    @property
    def home(self) -> Path:
        return Path(pwd.getpwnam(self.name).pw_dir)


@dataclass
class HubClass:
    prefix: str = field(default_factory=lambda: "optx_" + secrets.token_hex(3))
    users: dict[str, User] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    service_token: str = field(default_factory=lambda: secrets.token_hex(32))
    student_env: Path | None = None
    instructor_env: Path | None = None
    log_file: Any = None

    # --- paths and names ----------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return Path("/srv") / self.prefix

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def state(self) -> Path:
        return self.root / "hub"

    @property
    def jupyter_config(self) -> Path:
        return self.root / "etc" / "jupyter"

    @property
    def students_group(self) -> str:
        return f"{self.prefix}_students"

    @property
    def instructors_group(self) -> str:
        return f"{self.prefix}_teachers"

    @property
    def hub_log(self) -> Path:
        return self.state / "hub.log"

    def course_dir(self, instructor: User) -> Path:
        return instructor.home / "optimizers"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.hub_log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # --- set-up -------------------------------------------------------------------------------
    def deploy_environment(self) -> dict[str, str]:
        """The COURSE_* settings of deploy/jupyterhub_config.py for this run."""
        return {
            "COURSE_ID": COURSE_ID,
            "COURSE_STUDENTS_GROUP": self.students_group,
            "COURSE_INSTRUCTORS_GROUP": self.instructors_group,
            "COURSE_STUDENT_ENV": str(self.student_env),
            "COURSE_INSTRUCTOR_ENV": str(self.instructor_env),
            "COURSE_JUPYTER_CONFIG": str(self.jupyter_config),
            "COURSE_EXCHANGE_ROOT": str(self.exchange),
            "COURSE_HUB_STATE": str(self.state),
        }

    def create_folders(self) -> None:
        self.root.mkdir(mode=0o755)
        os.chmod(self.root, 0o755)
        self.exchange.mkdir()
        os.chmod(self.exchange, 0o777)  # as nbgrader's documentation sets it up
        self.state.mkdir(mode=0o700)
        shutil.copytree(DEPLOY / "jupyter", self.jupyter_config)
        subprocess.run(["chmod", "-R", "a+rX", str(self.root / "etc")], check=True)

    def build_environments(self) -> None:
        """The students' and the instructor's environments, made by deploy/'s scripts."""
        env = dict(os.environ, **self.deploy_environment())
        # The PyTorch the project already uses (a CPU build from the local wheel cache on CI), and
        # Debian's Python: the project's may live where other users cannot run it (~root/.pyenv).
        env["COURSE_TORCH"] = f"torch=={importlib.metadata.version('torch')}"
        env["PYTHON"] = SYSTEM_PYTHON
        builds: list[tuple[list[str], subprocess.Popen[bytes]]] = []
        for role, reuse_variable in (
            ("student", REUSE_STUDENT_ENV),
            ("instructor", REUSE_TEACHER_ENV),
        ):
            reuse = os.environ.get(reuse_variable)
            target = Path(reuse) if reuse else self.root / f"{role}-env"
            if role == "student":
                self.student_env = target
            else:
                self.instructor_env = target
            if reuse:
                if role == "instructor":  # as make-instructor-env.sh leaves it
                    subprocess.run(["chgrp", "-R", self.instructors_group, reuse], check=True)
                continue
            command = ["bash", str(DEPLOY / f"make-{role}-env.sh"), str(target)]
            # A session of its own, so that a failure elsewhere stops the script and its pip.
            build = subprocess.Popen(command, env=env, start_new_session=True)
            builds.append((command, build))
        # Both at once: they are independent, and the test's longest step (about four minutes
        # one after the other on 2 cores). If one fails, the other is stopped before close().
        try:
            for command, build in builds:
                if build.wait(timeout=1800) != 0:
                    raise subprocess.CalledProcessError(build.returncode, command)
        finally:
            for _, build in builds:
                if build.poll() is None:
                    os.killpg(build.pid, signal.SIGKILL)
                    build.wait()

    def add_user(self, role: str, suffix: str) -> User:
        user = User(f"{self.prefix}_{suffix}", secrets.token_urlsafe(12), role)
        env = dict(os.environ, PASSWORD=user.password, **self.deploy_environment())
        self.users[user.name] = user  # registered first: close() removes it even if this fails
        subprocess.run(["bash", str(DEPLOY / "add-user.sh"), role, user.name], check=True, env=env)
        return user

    def create_course(self, instructor: User) -> Path:
        """The instructor's course folder: what `git clone` of the course's private copy gives."""
        course = self.course_dir(instructor)
        course.mkdir()
        for folder in ("solutions", "autograder", "grading"):
            shutil.copytree(
                REPO_ROOT / folder,
                course / folder,
                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
            )
        shutil.copy2(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        subprocess.run(["chown", "-R", f"{instructor.name}:", str(course)], check=True)
        return course

    def start_hub(self) -> None:
        port, hub_port, proxy_api = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{port}"
        wrapper = self.state / "test_config.py"
        scopes = ["admin:users", "admin:servers", "tokens", "access:servers", "list:users"]
        wrapper.write_text(
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(DEPLOY / 'jupyterhub_config.py')!r})  # noqa: F821\n"
            "# The test's own admin service, to create users, tokens and servers.\n"
            f"c.JupyterHub.services = [{{'name': 'optx-term', 'api_token': "
            f"{self.service_token!r}}}]\n"
            f"c.JupyterHub.load_roles = [{{'name': 'optx-term', 'scopes': {scopes!r}, "
            "'services': ['optx-term']}]\n"
        )
        env = dict(os.environ, **self.deploy_environment())
        env.update(
            COURSE_HUB_URL=self.url,
            COURSE_HUB_API_URL=f"http://127.0.0.1:{hub_port}",
            COURSE_PROXY_API_URL=f"http://127.0.0.1:{proxy_api}",
            PATH=f"{HUB_ENV}/bin:{os.environ.get('PATH', '/usr/bin:/bin')}",
        )
        self.log_file = open(self.hub_log, "wb")  # noqa: SIM115  (closed in close())
        self.process = subprocess.Popen(
            [str(HUB_ENV / "bin" / "jupyterhub"), "-f", str(wrapper)],
            cwd=self.state,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + HUB_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited:\n{self.log_tail()}")
            try:  # the proxy answers 404 until the hub has added its own route
                if self.request("GET", "/hub/api/", self.service_token)[0] == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(1)
        raise RuntimeError(f"JupyterHub did not answer in {HUB_START_S} s:\n{self.log_tail()}")

    # --- HTTP ---------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        token: str,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = json.dumps(body).encode() if body is not None else None
        if data is None and method in ("POST", "PUT"):
            data = b""
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"token {token}")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def hub_api(self, method: str, path: str, body: Any = None) -> Any:
        status, raw = self.request(method, "/hub/api" + path, self.service_token, body)
        if status >= 400:
            raise RuntimeError(f"{method} /hub/api{path}: HTTP {status}: {raw[:500]!r}")
        return json.loads(raw) if raw else None

    def user_api(
        self,
        user: User,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        """A request to the user's own server, through the proxy, with the user's own token."""
        status, raw = self.request(method, f"/user/{user.name}/{path}", user.token, body, params)
        if status not in ok:
            raise RuntimeError(f"{user.name}: {method} {path}: HTTP {status}: {raw[:800]!r}")
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return raw.decode(errors="replace")

    def register(self, user: User) -> None:
        """The user in the hub's database, and a token of their own (only their own server)."""
        self.hub_api("POST", f"/users/{user.name}")
        scopes = [f"access:servers!user={user.name}", f"read:users!user={user.name}"]
        reply = self.hub_api(
            "POST",
            f"/users/{user.name}/tokens",
            {"note": "optx end-to-end test", "expires_in": 7200, "scopes": scopes},
        )
        user.token = reply["token"]

    def start_server(self, user: User) -> None:
        status, raw = self.request("POST", f"/hub/api/users/{user.name}/server", self.service_token)
        if status not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"starting {user.name}'s server: HTTP {status}: {raw[:500]!r}")
        self.wait_for_server(user)

    def wait_for_server(self, user: User) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            server = self.hub_api("GET", f"/users/{user.name}")["servers"].get("")
            if server and server.get("ready"):
                return
            time.sleep(1)
        raise RuntimeError(f"{user.name}'s server did not start:\n{self.log_tail()}")

    # --- commands as a user ---------------------------------------------------------------------
    def run_as(
        self, user: User, command: list[str], cwd: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """``command`` as ``user``, with the environment the hub gives that user's server."""
        env_dir = self.instructor_env if user.role == "instructor" else self.student_env
        config = [str(self.jupyter_config / "common")]
        if user.role == "student":
            config.insert(0, str(self.jupyter_config / "student"))
        env = {
            "HOME": str(user.home),
            "USER": user.name,
            "LOGNAME": user.name,
            "PATH": f"{env_dir}/bin:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": os.pathsep.join(config),
            "COURSE_EXCHANGE_ROOT": str(self.exchange),
            "COURSE_ID": COURSE_ID,
            "LANG": "C.UTF-8",
        }
        for name in ("OPTIMLAB_FAST", "AUTOGRADE_TEST_CELL_TIMEOUT", "AUTOGRADE_CELL_TIMEOUT"):
            if name in os.environ:
                env[name] = os.environ[name]
        result = subprocess.run(
            ["runuser", "-u", user.name, "--", "env", "-i"]
            + [f"{k}={v}" for k, v in env.items()]
            + command,
            cwd=cwd or user.home,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{user.name}: {' '.join(command)} exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    # --- tear-down ------------------------------------------------------------------------------
    def _stop_hub(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the hub stops its proxy and the servers
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def _kill_user_processes(self, name: str) -> None:
        """Anything still running as a test account (a server, a kernel), by process id."""
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            return
        for _ in range(3):
            listing = subprocess.run(
                ["ps", "-o", "pid=", "-u", str(uid)], capture_output=True, text=True
            ).stdout.split()
            if not listing:
                return
            for pid in listing:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            time.sleep(1)

    def close(self) -> None:
        problems = []
        try:
            self._stop_hub()
        except Exception as exc:  # noqa: BLE001  (keep cleaning up)
            problems.append(f"stopping the hub: {exc}")
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None
        for name in list(self.users):
            self._kill_user_processes(name)
            if subprocess.run(["id", name], capture_output=True).returncode == 0:
                done = subprocess.run(["userdel", "-r", name], capture_output=True, text=True)
                if done.returncode not in (0, 12):  # 12: home folder already gone
                    problems.append(f"userdel {name}: {done.stderr.strip()}")
            self.users.pop(name)
        for group in (self.students_group, self.instructors_group):
            try:
                grp.getgrnam(group)
            except KeyError:
                continue
            subprocess.run(["groupdel", group], capture_output=True)
        if self.hub_log.exists():  # kept for a look after the run (artifacts/ is gitignored)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.hub_log, ARTIFACTS / "hub.log")
        if self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
        if problems:
            raise RuntimeError("; ".join(problems))
