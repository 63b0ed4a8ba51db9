# terraform test (mock provider): an AWS deploy needs a subnet; the cleanup role is opt-in.
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
  service_role_name    = "mlpipe-test-emr-service"
  instance_role_name   = "mlpipe-test-emr-ec2"
  data_bucket_arn      = "arn:aws:s3:::mlpipe-test-data-123456789012"
  artifacts_bucket_arn = "arn:aws:s3:::mlpipe-test-artifacts-123456789012"
  logs_bucket_arn      = "arn:aws:s3:::mlpipe-test-logs-123456789012"
}

run "aws_deploy_without_a_subnet_fails" {
  command = plan
  variables {
    require_subnet = true
  }
  expect_failures = [aws_iam_role.service]
}

run "aws_deploy_with_a_subnet_plans" {
  command = plan
  variables {
    require_subnet = true
    subnet_id      = "subnet-0abc1234"
  }
  assert {
    condition     = length(aws_iam_service_linked_role.cleanup) == 0
    error_message = "AWSServiceRoleForEMRCleanup is one per account: not created unless asked."
  }
  assert {
    condition     = aws_iam_role_policy_attachment.service.policy_arn != "" && endswith(aws_iam_role_policy_attachment.service.policy_arn, "service-role/AmazonEMRServicePolicy_v2")
    error_message = "The service role uses the v2 managed policy."
  }
}
