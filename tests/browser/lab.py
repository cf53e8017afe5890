"""A JupyterLab server on a temporary copy of the course, driven by headless Chromium.

The server listens on 127.0.0.1 only, on a port chosen free at start, with the token disabled.
It gets its own Jupyter config, settings, workspace and runtime folders, so nothing on the
machine (a user's ~/.jupyter, a saved layout) changes what the test sees, and the page exposes
``window.jupyterapp`` so that the test can run JupyterLab's own commands (run a cell, change the
kernel) and read the notebook model. What the test checks is what the page renders.

Chromium is Debian's (``apt-get install chromium``), launched by the ``playwright`` package with
a fresh profile; Playwright's own browser download is never needed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
CHROMIUM = Path(os.environ.get("OPTIMLAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 180
PAGE_LOAD_MS = 180_000
KERNEL_IDLE_MS = 180_000
RUN_MS = 600_000  # one notebook, all cells, on a busy 2-core machine
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
# A notification asking to fetch Jupyter news would cover part of the page.
ALWAYS_DISABLED = ("@jupyterlab/apputils-extension:announcements",)
# Environment variables that would make the notebooks draw static plots instead of widgets.
HEADLESS_VARIABLES = ("OPTIMLAB_STATIC", "NBGRADER_EXECUTION", "MPLBACKEND")
NO_OPTIMLAB_KERNEL = "python3-without-optimlab"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab; ``stop`` ends it (and its kernels) and is safe to call twice."""

    url: str
    root: Path
    log: Path
    process: subprocess.Popen[bytes]
    disabled: tuple[str, ...] = field(default=())

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Delete every session (and so every kernel) the page started."""
        try:
            for session in self.api("/api/sessions"):
                self.api(f"/api/sessions/{session['id']}", method="DELETE")
        except (OSError, urllib.error.URLError):
            pass

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.shutdown_kernels()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def copy_course(destination: Path) -> Path:
    """The student and instructor notebooks and the nbgrader config, copied to ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    for folder in ("notebooks", "solutions"):
        shutil.copytree(
            REPO_ROOT / folder,
            destination / folder,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    shutil.copy2(REPO_ROOT / "nbgrader_config.py", destination / "nbgrader_config.py")
    return destination


def write_kernel_without_optimlab(data_dir: Path) -> None:
    """A kernel in which ``import optimlab`` fails, as in a wrong kernel or a missing install."""
    spec = data_dir / "kernels" / NO_OPTIMLAB_KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    launcher = (
        "import sys\n"
        "class HideOptimlab:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.partition('.')[0] == 'optimlab':\n"
        "            raise ModuleNotFoundError(\"No module named 'optimlab'\", name='optimlab')\n"
        "sys.meta_path.insert(0, HideOptimlab())\n"
        "from ipykernel.kernelapp import launch_new_instance\n"
        "launch_new_instance()\n"
    )
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-c", launcher, "-f", "{connection_file}"],
                "display_name": "Python 3 (without the course's package)",
                "language": "python",
            }
        )
    )


def clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in HEADLESS_VARIABLES}
    env.update(extra)
    return env


def start_lab(workdir: Path, disabled: tuple[str, ...] = ()) -> LabServer:
    """Start JupyterLab on a copy of the course in ``workdir``; wait until its API answers."""
    root = copy_course(workdir / "course")
    config = workdir / "config"
    (config / "labconfig").mkdir(parents=True)
    disabled_all = {name: True for name in (*ALWAYS_DISABLED, *disabled)}
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": disabled_all})
    )
    settings = workdir / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Every cell stays in the page (no virtual scrolling), so every output can be checked.
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    data = workdir / "data"
    write_kernel_without_optimlab(data)
    port = free_port()
    log = workdir / "jupyterlab.log"
    env = clean_environment(
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        JUPYTER_PATH=str(data),
        OPTIMLAB_FAST="1",
        PYTHONUNBUFFERED="1",
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={workdir / 'settings'}",
        f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    server = LabServer(f"http://127.0.0.1:{port}", root, log, process, tuple(disabled))
    deadline = time.monotonic() + SERVER_START_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited at start:\n{server.log_tail()}")
        try:
            server.api("/api/status")
            return server
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(
                    f"JupyterLab did not answer within {SERVER_START_S} s:\n{server.log_tail()}"
                ) from None
            time.sleep(0.5)


def launch_chromium(playwright: Any, profile: Path) -> Any:
    """Debian's Chromium, headless, with a fresh profile; a persistent context of Playwright."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 1400},
        timeout=PAGE_LOAD_MS,
    )


# --- the page -------------------------------------------------------------------------------------
# JavaScript run in the page. `panel()` is the notebook that is open; every function returns
# plain data (JSON) to Python.
_PANEL = "window.jupyterapp.shell.currentWidget"
KERNEL_IDLE = f"""(path) => {{
  const panel = window.jupyterapp && {_PANEL};
  if (!panel || !panel.sessionContext || !panel.content || !panel.context.isReady) return false;
  if (panel.context.path !== path) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && panel.content.widgets.length > 0;
}}"""
START_COMMAND = """([command, args]) => {
  window.__optimlab = {done: false, error: null};
  window.jupyterapp.commands.execute(command, args || {}).then(
    () => { window.__optimlab.done = true; },
    (error) => { window.__optimlab.error = String(error); window.__optimlab.done = true; });
}"""
COMMAND_DONE = "() => window.__optimlab && window.__optimlab.done"
CELLS = f"""() => {{
  const notebook = {_PANEL}.content;
  return notebook.widgets.map((cell, index) => {{
    const model = cell.model;
    const grading = (model.getMetadata && model.getMetadata('nbgrader')) || {{}};
    const outputs = model.type === 'code' ? model.outputs.toJSON() : [];
    return {{
      index, type: model.type, source: model.sharedModel.getSource(),
      execution_count: model.type === 'code' ? model.executionCount : null,
      grade_id: grading.grade_id || null, graded_test: !!grading.grade && !grading.solution,
      outputs: outputs.map((o) => ({{
        output_type: o.output_type, name: o.name || null, ename: o.ename || null,
        evalue: o.evalue || null, mimes: Object.keys(o.data || {{}}),
      }})),
    }};
  }});
}}"""
SELECT_CELL = f"""(index) => {{
  const notebook = {_PANEL}.content;
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  notebook.activeCell.node.scrollIntoView({{block: 'center'}});
  return notebook.activeCellIndex;
}}"""
CHANGE_KERNEL = f"""async (name) => {{
  await {_PANEL}.sessionContext.changeKernel({{name}});
  return {_PANEL}.sessionContext.session.kernel.name;
}}"""
# Images the browser decoded, per cell: [cell index, images loaded, images not loaded].
RENDERED_IMAGES = f"""() => {_PANEL}.content.widgets.map((cell, index) => {{
  const images = [...cell.node.querySelectorAll('.jp-OutputArea-output img')];
  const loaded = images.filter((img) => img.complete && img.naturalWidth > 0).length;
  return [index, loaded, images.length - loaded];
}})"""


class NotebookPage:
    """One JupyterLab page showing one notebook."""

    opened = 0  # each page gets its own fresh workspace, so no earlier layout is restored

    def __init__(self, page: Any, server: LabServer) -> None:
        self.page = page
        self.server = server
        self.path = ""

    def open(self, relative_path: str) -> None:
        NotebookPage.opened += 1
        workspace = f"test-{os.getpid()}-{NotebookPage.opened}"
        url = f"{self.server.url}/lab/workspaces/{workspace}/tree/{relative_path}?reset"
        self.path = relative_path
        self.page.goto(url, timeout=PAGE_LOAD_MS)
        self.wait_for_kernel()

    def wait_for_kernel(self) -> None:
        """Until the notebook at self.path is the current tab and its kernel is idle."""
        self.page.wait_for_function(KERNEL_IDLE, arg=self.path, timeout=KERNEL_IDLE_MS, polling=250)

    def command(self, command: str, args: dict[str, Any] | None = None) -> None:
        """Run a JupyterLab command and wait until it and the kernel are done."""
        self.page.evaluate(START_COMMAND, [command, args])
        self.page.wait_for_function(COMMAND_DONE, timeout=RUN_MS, polling=250)
        error = self.page.evaluate("() => window.__optimlab.error")
        if error:
            raise RuntimeError(f"JupyterLab command {command} failed: {error}")
        self.wait_for_kernel()

    def run_all(self) -> None:
        """Run > Run All Cells (JupyterLab stops at the first cell that raises)."""
        self.command("notebook:run-all-cells")

    def run_cell(self, index: int) -> None:
        """Select one cell and run it, as Ctrl+Enter does."""
        self.page.evaluate(SELECT_CELL, index)
        self.command("notebook:run-cell")

    def cells(self) -> list[dict[str, Any]]:
        return self.page.evaluate(CELLS)

    def change_kernel(self, name: str) -> str:
        kernel = self.page.evaluate(CHANGE_KERNEL, name)
        self.wait_for_kernel()
        return kernel

    def rendered_images(self) -> dict[int, tuple[int, int]]:
        return {i: (ok, bad) for i, ok, bad in self.page.evaluate(RENDERED_IMAGES)}

    def cell(self, index: int) -> Any:
        """The cell's element (a Playwright locator)."""
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def screenshot(self, name: str, element: Any = None) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        (element or self.page).screenshot(path=str(path), timeout=60_000)
        return path
