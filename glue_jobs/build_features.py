"""Glue job 2 (lab 1 ``customer-churn-avg-total-spent-by-country-job``): ML features.

Arguments: --clean --features --run_date. Writes by_country/ and by_customer/.
All logic lives in ``churn_transforms`` (shipped with --extra-py-files).
"""

import sys

from churn_transforms.jobs import FEATURES_OPTIONAL, FEATURES_REQUIRED, run_features
from churn_transforms.main import main

if __name__ == "__main__":
    sys.exit(main("build_features", run_features, FEATURES_REQUIRED, FEATURES_OPTIONAL))
