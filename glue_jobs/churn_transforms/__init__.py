"""Pure Spark transforms for the churn Glue jobs.

Shipped to AWS Glue as ``--extra-py-files`` (a zip built by ``invoke package``);
importable locally after ``pip install -e .``. Nothing here runs at import time.
"""

from churn_transforms.errors import InputError

__all__ = ["InputError"]
