"""Do Terraform and the local deployer agree? Reads terraform/ with python-hcl2.

Compares every bucket, job, role and topic name, the Glue job arguments and scripts, the
schedule expression and the state machine definition files. Terraform's interpolations of
``var.project``, ``var.env``, ``var.region``, ``local.account_id``, ``local.prefix`` and other
locals are resolved with the Settings' values.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlpipe.config import PIPELINES, Settings
from mlpipe.deploy.terraform import MODULES_DIR, TF_DIR, load_hcl

REF = re.compile(r"\$\{([a-z_.\[\]\"0-9]+)\}")
GLUE_MODULE_ARGUMENTS = {
    "--job-language": "python",
    "--enable-metrics": "true",
    "--enable-continuous-cloudwatch-log": "true",
}


class Resolver:
    def __init__(self, locals_: dict, settings: Settings, tf_vars: dict | None = None):
        self.locals = locals_
        # var.* from variables.tf defaults, with the Settings' project/env/region on top
        self.values = {f"var.{k}": v for k, v in (tf_vars or {}).items()} | {
            "var.project": settings.project,
            "var.env": settings.env,
            "var.region": settings.region,
            "local.account_id": settings.account_id,
            "path.root": "terraform",
        }

    def lookup(self, ref: str):
        if ref in self.values:
            return self.values[ref]
        if not ref.startswith("local."):
            raise KeyError(ref)
        node = self.locals
        for part in ref[len("local.") :].split("."):
            node = node[part]
        return self.resolve(node)

    def resolve(self, value):
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, str):
            whole = REF.fullmatch(value)
            if whole:
                return self.lookup(whole.group(1))
            return REF.sub(lambda m: str(self.lookup(m.group(1))), value)
        return value


def _blocks(doc: dict, kind: str) -> dict:
    return {name: body for block in doc.get(kind, []) for name, body in block.items()}


def drift(
    settings: Settings,
    main_tf: Path = TF_DIR / "main.tf",
    variables_tf: Path = TF_DIR / "variables.tf",
) -> list[str]:
    """Every disagreement between Terraform and the local deployer, one line each."""
    from mlpipe.deploy.local import glue_job_request
    from mlpipe.packaging import GLUE_SCRIPTS

    doc = load_hcl(main_tf)
    locals_ = {k: v for block in doc.get("locals", []) for k, v in block.items()}
    tf_vars = {n: b.get("default") for n, b in _blocks(load_hcl(variables_tf), "variable").items()}
    r = Resolver(locals_, settings, tf_vars)
    modules = _blocks(doc, "module")
    problems: list[str] = []

    def check(what: str, tf_value, local_value):
        if tf_value != local_value:
            problems.append(f"{what}: terraform {tf_value!r} != local deployer {local_value!r}")

    names = r.resolve(locals_["names"])
    for key, value in names.items():
        check(f"name {key}", value, settings.name(key))
    for kind, value in r.resolve(locals_["buckets"]).items():
        check(f"bucket {kind}", value, settings.bucket(kind))
    check(
        "schedule expression",
        r.resolve(locals_["emr_schedule_expression"]),
        settings.emr_schedule_expression,
    )
    common = r.resolve(locals_["glue_common_arguments"])
    artifacts = settings.bucket("artifacts")
    glue_module = modules["glue_job"]
    jobs_tf = r.resolve(locals_["glue_jobs"])
    for key in ("clean", "features"):
        job = settings.glue_jobs[key]
        request = glue_job_request(settings, key)
        tf_job = jobs_tf[key]
        tf_args = {
            **GLUE_MODULE_ARGUMENTS,
            "--extra-py-files": f"s3://{artifacts}/{r.resolve(glue_module['extra_py_files_key'])}",
            **common,
            **tf_job["default_arguments"],
        }
        check(f"glue {key} arguments", tf_args, job["default_arguments"])
        check(f"glue {key} script", f"s3://{artifacts}/{tf_job['script_key']}", job["script"])
        check(f"glue {key} script file", tf_job["script"], GLUE_SCRIPTS[key].name)
        check(f"glue {key} job name", tf_job["name"], request["Name"])
        check(f"glue {key} role", tf_job["role_name"], request["Role"].rsplit("/", 1)[-1])
        check(f"glue {key} worker type", tf_vars["glue_worker_type"], request["WorkerType"])
        check(f"glue {key} workers", tf_vars["glue_workers"], request["NumberOfWorkers"])
        check(f"glue {key} timeout", tf_vars["glue_timeout_minutes"], request["Timeout"])
        check(f"glue {key} version", tf_vars["glue_version"], request["GlueVersion"])
    glue_main = (MODULES_DIR / "glue_job" / "main.tf").read_text()
    for arg, value in GLUE_MODULE_ARGUMENTS.items():
        if f'"{arg}"' not in glue_main or f'"{value}"' not in glue_main:
            problems.append(f"glue_job module no longer sets {arg} = {value}")
    definition_files = r.resolve(locals_["definition_files"])
    for pipeline in PIPELINES:
        module = modules[f"sfn_{pipeline}"]
        check(
            f"{pipeline} state machine name",
            r.resolve(module["name"]),
            settings.name(f"{pipeline}_state_machine"),
        )
        check(
            f"{pipeline} state machine role",
            f"{r.resolve(module['name'])}-sfn",
            settings.name(f"{pipeline}_sfn_role"),
        )
        check(
            f"{pipeline} definition file",
            Path(definition_files[pipeline]).as_posix().replace("terraform/../", ""),
            f"build/asl/{pipeline}.asl.json",
        )
    check(
        "schedule role",
        f"{r.resolve(modules['emr_schedule']['name'])}-events",
        settings.name("events_role"),
    )
    check("alerts topic", r.resolve(modules["alerts"]["topic_name"]), settings.name("alerts_topic"))
    check(
        "emr app key",
        r.resolve(_blocks(doc, "resource")["aws_s3_object"]["emr_app"]["key"]),
        settings.paths["emr_code"].split("/", 3)[3] + "partition_dataset.py",
    )
    check(
        "model artifact",
        f"s3://{artifacts}/{r.resolve(modules['sagemaker_model']['model_key'])}",
        settings.paths["model_artifact"],
    )
    return problems
