# The embedded local cloud (invoke local.up). Terraform needs the hashicorp/aws provider,
# which these offline machines cannot download: `invoke deploy --target local` uses the
# local deployer instead. Where a provider exists, this file applies unchanged.
env                  = "dev"
endpoint             = "http://127.0.0.1:4566"
emr_schedule_enabled = false
