# terraform test (mock provider): the alerts module's required inputs and validations.
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
  topic_name        = "mlpipe-test-alerts"
  alarm_name_prefix = "mlpipe-test-"
}

run "aws_deploy_without_an_address_fails" {
  command = plan
  variables {
    require_subscription = true
  }
  expect_failures = [aws_sns_topic.this]
}

run "aws_deploy_with_an_address_plans_key_and_subscription" {
  command = plan
  variables {
    require_subscription = true
    email_addresses      = ["ops@example.com"]
    state_machine_arns   = ["arn:aws:states:us-east-1:123456789012:stateMachine:mlpipe-test-churn"]
  }
  assert {
    condition     = length(aws_sns_topic_subscription.email) == 1
    error_message = "One email subscription per address."
  }
  assert {
    condition     = length(aws_kms_key.this) == 1 && aws_kms_key.this[0].enable_key_rotation
    error_message = "The topic gets a customer-managed, rotated key."
  }
  assert {
    condition     = aws_cloudwatch_event_rule.execution_unnotified[0].name == "mlpipe-test-alerts-execution-stopped"
    error_message = "Rule names derive from the topic name."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.execution_failed_unnotified[0].event_pattern).detail.error[0]["anything-but"][0] == "PipelineFailed"
    error_message = "Failed executions that already alerted (PipelineFailed) must not alert again."
  }
}

run "a_given_key_is_used_instead_of_a_new_one" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }
  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_sns_topic.this.kms_master_key_id == var.kms_key_arn
    error_message = "kms_key_arn replaces the module's key."
  }
}

run "glue_rule_is_off_unless_asked" {
  command = plan
  variables {
    glue_job_names = ["mlpipe-test-churn-clean"]
  }
  assert {
    condition     = aws_cloudwatch_event_rule.glue_job_failed[0].state == "DISABLED"
    error_message = "The state machines alert on their Glue runs: the Glue rule is opt-in."
  }
}

run "a_bad_address_is_rejected" {
  command = plan
  variables {
    email_addresses = ["not-an-address"]
  }
  expect_failures = [var.email_addresses]
}
