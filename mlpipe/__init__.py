"""mlpipe: Terraform + Python infrastructure for ML preprocessing pipelines on AWS."""

from pathlib import Path

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent
