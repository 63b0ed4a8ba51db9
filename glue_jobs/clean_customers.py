"""Glue job 1 (lab 1 ``customer-churn-cleaning-job``): clean the churn CSV.

Arguments: --input --output --quarantine --run_date [--date_formats "dd.MM.yyyy,..."].
All logic lives in ``churn_transforms`` (shipped with --extra-py-files).
"""

import sys

from churn_transforms.jobs import CLEAN_OPTIONAL, CLEAN_REQUIRED, run_clean
from churn_transforms.main import main

if __name__ == "__main__":
    sys.exit(main("clean_customers", run_clean, CLEAN_REQUIRED, CLEAN_OPTIONAL))
