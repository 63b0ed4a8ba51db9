# AWS, dev environment. State goes to S3: invoke tf.init --target aws --backend-bucket <bucket>
env                  = "dev"
region               = "us-east-1"
emr_schedule_enabled = true
budget_limit_usd     = 5
budget_emails        = []
alert_emails         = []
extra_tags           = { Owner = "data-platform" }
