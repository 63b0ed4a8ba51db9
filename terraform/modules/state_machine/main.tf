data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  p       = data.aws_partition.current.partition
  region  = data.aws_region.current.name
  account = data.aws_caller_identity.current.account_id
  # The .sync integrations poll through EventBridge managed rules named StepFunctions*.
  managed_rules = "arn:${local.p}:events:${local.region}:${local.account}:rule/StepFunctions*"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "Notify"
    actions   = ["sns:Publish"]
    resources = [var.sns_topic_arn]
  }
  statement {
    sid       = "SyncManagedRules"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = [local.managed_rules]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"]
    resources = ["*"]
  }
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = length(var.glue_job_arns) > 0 ? [1] : []
    content {
      sid       = "Glue"
      actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
      resources = var.glue_job_arns
    }
  }
  dynamic "statement" {
    for_each = var.emr ? [1] : []
    content {
      sid       = "Emr"
      actions   = ["elasticmapreduce:RunJobFlow", "elasticmapreduce:DescribeCluster", "elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep", "elasticmapreduce:CancelSteps", "elasticmapreduce:TerminateJobFlows", "elasticmapreduce:AddTags"]
      resources = ["arn:${local.p}:elasticmapreduce:${local.region}:${local.account}:cluster/*"]
    }
  }
  dynamic "statement" {
    for_each = var.sagemaker ? [1] : []
    content {
      sid       = "SageMaker"
      actions   = ["sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob", "sagemaker:AddTags", "sagemaker:ListTags"]
      resources = ["arn:${local.p}:sagemaker:${local.region}:${local.account}:transform-job/*"]
    }
  }
  dynamic "statement" {
    for_each = length(var.pass_role_arns) > 0 ? [1] : []
    content {
      sid       = "PassRoles"
      actions   = ["iam:PassRole"]
      resources = var.pass_role_arns
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-sfn"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-integrations"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_sfn_state_machine" "this" {
  name       = var.name
  role_arn   = aws_iam_role.this.arn
  type       = var.type
  definition = templatefile(var.definition_file, { account_id = local.account })
  tags       = var.tags

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }
}
