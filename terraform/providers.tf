# Endpoint settings live here only (never in modules): empty endpoint = real AWS.
provider "aws" {
  region                      = var.region
  skip_credentials_validation = var.endpoint != ""
  skip_metadata_api_check     = var.endpoint != ""
  skip_region_validation      = var.endpoint != ""
  s3_use_path_style           = var.endpoint != ""

  # Every taggable resource carries the deployment's tags, also those a module forgets.
  default_tags {
    tags = local.tags
  }

  dynamic "endpoints" {
    for_each = var.endpoint == "" ? [] : [var.endpoint]
    content {
      budgets        = endpoints.value
      cloudwatch     = endpoints.value
      cloudwatchlogs = endpoints.value
      emr            = endpoints.value
      eventbridge    = endpoints.value
      glue           = endpoints.value
      iam            = endpoints.value
      kms            = endpoints.value
      s3             = endpoints.value
      sagemaker      = endpoints.value
      sfn            = endpoints.value
      sns            = endpoints.value
      sqs            = endpoints.value
      sts            = endpoints.value
    }
  }
}
