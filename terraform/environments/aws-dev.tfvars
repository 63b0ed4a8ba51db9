# AWS, dev environment. State goes to S3: invoke tf.init --target aws --backend-bucket <bucket>
# A first deploy needs the three values marked REQUIRED (the plan fails with a clear message without them).
env    = "dev"
region = "us-east-1"
# REQUIRED: who reads the alerts (each address confirms its subscription by email).
alert_emails = []
# REQUIRED: a subnet for the transient EMR clusters; tag it and its VPC
# for-use-with-amazon-emr-managed-policies=true (AmazonEMRServicePolicy_v2 needs both).
emr_subnet_id = ""
# Each scheduled run is a cluster: enable only when the day's telemetry really arrives.
emr_schedule_enabled = false
budget_limit_usd     = 5
budget_emails        = []
extra_tags           = { Owner = "data-platform" }
