# terraform test (mock provider): PassRole entries name the service they pass to.
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
  name            = "mlpipe-test-emr"
  definition_file = "tests/fixture.asl.json"
  sns_topic_arn   = "arn:aws:sns:us-east-1:123456789012:mlpipe-test-alerts"
}

run "pass_roles_need_a_service_principal" {
  command = plan
  variables {
    pass_roles = [{ arn = "arn:aws:iam::123456789012:role/x", service = "ec2" }]
  }
  expect_failures = [var.pass_roles]
}

run "a_standard_machine_with_its_role_and_log_group" {
  command = plan
  variables {
    emr = true
    pass_roles = [
      { arn = "arn:aws:iam::123456789012:role/mlpipe-test-emr-service", service = "elasticmapreduce.amazonaws.com" },
    ]
  }
  assert {
    condition     = aws_iam_role.this.name == "mlpipe-test-emr-sfn" && aws_cloudwatch_log_group.this.name == "/aws/vendedlogs/states/mlpipe-test-emr"
    error_message = "Role and log group names derive from the machine's name."
  }
}
