data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  p       = data.aws_partition.current.partition
  region  = data.aws_region.current.name
  account = data.aws_caller_identity.current.account_id
  # EventBridge and CloudWatch cannot publish to a topic under the AWS-managed alias/aws/sns key:
  # the topic uses a customer-managed key whose policy lets both services use it.
  kms_key_arn = var.kms_key_arn != "" ? var.kms_key_arn : aws_kms_key.this[0].arn
  # ARNs from names (known at plan time, so the topic policy can be linted from the plan).
  topic_arn  = "arn:${local.p}:sns:${local.region}:${local.account}:${var.topic_name}"
  rule_arns  = [for r in concat(aws_cloudwatch_event_rule.execution_unnotified, aws_cloudwatch_event_rule.execution_failed_unnotified, aws_cloudwatch_event_rule.glue_job_failed) : "arn:${local.p}:events:${local.region}:${local.account}:rule/${r.name}"]
  alarm_arns = "arn:${local.p}:cloudwatch:${local.region}:${local.account}:alarm:${var.alarm_name_prefix}*"
}

data "aws_iam_policy_document" "key" {
  statement {
    sid = "AccountAdministersAndDelegatesToIam"
    actions = [
      "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
      "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
      "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:Encrypt", "kms:Decrypt",
      "kms:ReEncrypt*", "kms:GenerateDataKey*",
    ]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.p}:iam::${local.account}:root"]
    }
  }
  statement {
    sid       = "AlertSourcesEncryptForTheTopic"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_kms_key" "this" {
  count                   = var.kms_key_arn == "" ? 1 : 0
  description             = "Alerts topic ${var.topic_name}: EventBridge, CloudWatch and the state machines publish through it."
  deletion_window_in_days = 7
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count         = var.kms_key_arn == "" ? 1 : 0
  name          = "alias/${var.topic_name}"
  target_key_id = aws_kms_key.this[0].key_id
}

resource "aws_sns_topic" "this" {
  name              = var.topic_name
  kms_master_key_id = local.kms_key_arn
  tags              = var.tags

  lifecycle {
    precondition {
      condition     = !var.require_subscription || length(var.email_addresses) > 0
      error_message = "Set alert_emails (at least one address) for an AWS deploy: without a subscription no alert is ever read."
    }
  }
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.email_addresses)
  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

# One alert per failure: a failed execution that reached NotifyFailure ends with the error
# var.notified_error and has already published; these rules cover the executions that end
# without it (TIMED_OUT, ABORTED, and FAILED by an uncatchable error such as States.Runtime).
resource "aws_cloudwatch_event_rule" "execution_unnotified" {
  count       = length(var.state_machine_arns) > 0 ? 1 : 0
  name        = "${var.topic_name}-execution-stopped"
  description = "Step Functions executions that TIMED_OUT or were ABORTED (no NotifyFailure ran)."
  tags        = var.tags
  event_pattern = jsonencode({
    source        = ["aws.states"]
    "detail-type" = ["Step Functions Execution Status Change"]
    detail = {
      status          = ["TIMED_OUT", "ABORTED"]
      stateMachineArn = var.state_machine_arns
    }
  })
}

resource "aws_cloudwatch_event_rule" "execution_failed_unnotified" {
  count       = length(var.state_machine_arns) > 0 ? 1 : 0
  name        = "${var.topic_name}-execution-failed-unnotified"
  description = "Step Functions executions that FAILED without reaching NotifyFailure (error is not ${var.notified_error})."
  tags        = var.tags
  event_pattern = jsonencode({
    source        = ["aws.states"]
    "detail-type" = ["Step Functions Execution Status Change"]
    detail = {
      status          = ["FAILED"]
      stateMachineArn = var.state_machine_arns
      error           = [{ "anything-but" = [var.notified_error] }]
    }
  })
}

resource "aws_cloudwatch_event_target" "execution_unnotified" {
  for_each = { for i, r in concat(aws_cloudwatch_event_rule.execution_unnotified, aws_cloudwatch_event_rule.execution_failed_unnotified) : tostring(i) => r.name }
  rule     = each.value
  arn      = aws_sns_topic.this.arn
  input_transformer {
    input_paths = {
      machine = "$.detail.stateMachineArn"
      name    = "$.detail.name"
      status  = "$.detail.status"
    }
    input_template = "\"mlpipe: execution <name> of <machine> ended <status> without a pipeline alert\""
  }
}

# Glue job runs that fail outside the state machines (the churn machine alerts on its own runs).
resource "aws_cloudwatch_event_rule" "glue_job_failed" {
  count       = length(var.glue_job_names) > 0 ? 1 : 0
  name        = "${var.topic_name}-glue-job-failed"
  description = "Glue job runs of this deployment that ended FAILED, TIMEOUT or ERROR."
  state       = var.glue_job_alerts ? "ENABLED" : "DISABLED"
  tags        = var.tags
  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      state   = ["FAILED", "TIMEOUT", "ERROR"]
      jobName = var.glue_job_names
    }
  })
}

resource "aws_cloudwatch_event_target" "glue_job_failed" {
  count = length(var.glue_job_names) > 0 ? 1 : 0
  rule  = aws_cloudwatch_event_rule.glue_job_failed[0].name
  arn   = aws_sns_topic.this.arn
  input_transformer {
    input_paths = {
      job     = "$.detail.jobName"
      run     = "$.detail.jobRunId"
      state   = "$.detail.state"
      message = "$.detail.message"
    }
    input_template = "\"mlpipe: Glue job <job> run <run> ended <state>: <message>\""
  }
}

data "aws_iam_policy_document" "topic" {
  dynamic "statement" {
    for_each = length(local.rule_arns) > 0 ? [1] : []
    content {
      sid       = "EventBridgePublish"
      actions   = ["sns:Publish"]
      resources = [local.topic_arn]
      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = local.rule_arns
      }
    }
  }
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arns]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  dynamic "statement" {
    for_each = length(var.publisher_role_arns) > 0 ? [1] : []
    content {
      sid       = "StateMachinesPublish"
      actions   = ["sns:Publish"]
      resources = [local.topic_arn]
      principals {
        type        = "AWS"
        identifiers = var.publisher_role_arns
      }
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

# An SQS inbox subscribed to the topic, so tooling can read alerts where no mail is read:
# the local cloud and LocalStack targets turn it on; an AWS deploy leaves it off.
resource "aws_sqs_queue" "inbox" {
  count                     = var.inbox_queue_name != "" ? 1 : 0
  name                      = var.inbox_queue_name
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

data "aws_iam_policy_document" "inbox" {
  count = var.inbox_queue_name != "" ? 1 : 0
  statement {
    sid       = "TopicDelivers"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.inbox[0].arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.this.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "inbox" {
  count     = var.inbox_queue_name != "" ? 1 : 0
  queue_url = aws_sqs_queue.inbox[0].id
  policy    = data.aws_iam_policy_document.inbox[0].json
}

resource "aws_sns_topic_subscription" "inbox" {
  count                = var.inbox_queue_name != "" ? 1 : 0
  topic_arn            = aws_sns_topic.this.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.inbox[0].arn
  raw_message_delivery = true
  depends_on           = [aws_sqs_queue_policy.inbox]
}
