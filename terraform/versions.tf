terraform {
  required_version = ">= 1.10.0" # the S3 backend locks with use_lockfile (1.10+)
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
  # State: local by default. For AWS, `invoke tf.init --target aws` adds an S3 backend
  # (backend_override.tf) configured with -backend-config; nothing here names an account.
}
