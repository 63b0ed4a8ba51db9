# terraform test (mock provider): Glue 5.0 arguments and worker types.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
}

variables {
  name             = "mlpipe-test-churn-clean"
  role_name        = "mlpipe-test-glue-clean"
  script_path      = "tests/fixture_script.py"
  script_bucket    = "mlpipe-test-artifacts-123456789012"
  script_key       = "glue/clean_customers.py"
  read_s3_arns     = ["arn:aws:s3:::mlpipe-test-data-123456789012/raw/churn/*"]
  write_s3_arns    = ["arn:aws:s3:::mlpipe-test-data-123456789012/curated/churn/*"]
  bucket_arns      = ["arn:aws:s3:::mlpipe-test-data-123456789012"]
  log_group_prefix = "/aws-glue/jobs/mlpipe-test"
}

run "glue_5_arguments" {
  command = plan
  assert {
    condition     = !contains(keys(aws_glue_job.this.default_arguments), "--enable-continuous-cloudwatch-log")
    error_message = "Glue 5.0 ignores --enable-continuous-cloudwatch-log."
  }
  assert {
    condition     = aws_glue_job.this.default_arguments["--enable-observability-metrics"] == "true"
    error_message = "Observability metrics are on."
  }
  assert {
    condition     = aws_glue_job.this.max_retries == 0
    error_message = "Step Functions retries, Glue does not."
  }
}

run "streaming_worker_type_is_rejected" {
  command = plan
  variables {
    worker_type = "G.025X"
  }
  expect_failures = [var.worker_type]
}

run "the_crawler_has_its_own_role" {
  command = plan
  variables {
    create_crawler = true
    crawl_s3_path  = "s3://mlpipe-test-data-123456789012/features/churn/"
  }
  assert {
    condition     = aws_iam_role.crawler[0].name == "mlpipe-test-glue-clean-crawler"
    error_message = "The crawler runs with a catalog role, not the job's."
  }
}

run "the_env_has_its_own_log_groups_with_a_retention" {
  command = plan
  assert {
    condition     = aws_glue_job.this.default_arguments["--custom-logGroup-prefix"] == "/aws-glue/jobs/mlpipe-test"
    error_message = "The job logs under the env's prefix."
  }
  assert {
    condition     = toset([for g in aws_cloudwatch_log_group.this : g.name]) == toset(["/aws-glue/jobs/mlpipe-test/output", "/aws-glue/jobs/mlpipe-test/error"])
    error_message = "Both of Glue 5.0's groups exist under the prefix."
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.retention_in_days == 14])
    error_message = "The groups have a retention."
  }
}

run "a_second_job_of_the_prefix_creates_no_groups" {
  command = plan
  variables {
    create_log_groups = false
  }
  assert {
    condition     = length(aws_cloudwatch_log_group.this) == 0
    error_message = "Only one job per prefix creates the groups."
  }
}

run "a_prefix_glue_rejects_is_rejected" {
  command = plan
  variables {
    log_group_prefix = "/aws-glue/jobs/bad:name/"
  }
  expect_failures = [var.log_group_prefix]
}
