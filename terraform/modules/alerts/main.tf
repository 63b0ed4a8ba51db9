resource "aws_sns_topic" "this" {
  name              = var.topic_name
  kms_master_key_id = "alias/aws/sns"
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.email_addresses)
  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_event_rule" "execution_failed" {
  count       = length(var.state_machine_arns) > 0 ? 1 : 0
  name        = "${var.topic_name}-execution-failed"
  description = "Step Functions executions that FAILED, TIMED_OUT or were ABORTED."
  tags        = var.tags
  event_pattern = jsonencode({
    source        = ["aws.states"]
    "detail-type" = ["Step Functions Execution Status Change"]
    detail = {
      status          = ["FAILED", "TIMED_OUT", "ABORTED"]
      stateMachineArn = var.state_machine_arns
    }
  })
}

resource "aws_cloudwatch_event_target" "sns" {
  count = length(var.state_machine_arns) > 0 ? 1 : 0
  rule  = aws_cloudwatch_event_rule.execution_failed[0].name
  arn   = aws_sns_topic.this.arn
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "EventBridgePublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
  dynamic "statement" {
    for_each = length(var.publisher_role_arns) > 0 ? [1] : []
    content {
      sid       = "StateMachinesPublish"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.this.arn]
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
