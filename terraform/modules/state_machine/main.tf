data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  p       = data.aws_partition.current.partition
  region  = data.aws_region.current.name
  account = data.aws_caller_identity.current.account_id
  # The .sync integrations poll through EventBridge managed rules named StepFunctions*.
  managed_rules = "arn:${local.p}:events:${local.region}:${local.account}:rule/StepFunctions*"
  clusters      = "arn:${local.p}:elasticmapreduce:${local.region}:${local.account}:cluster/*"
  # Values the rendered ASL leaves to Terraform (mlpipe.asl.render(..., terraform=True)):
  # account, region and partition come from the same provider configuration as every ARN here.
  definition_vars = merge(
    { account_id = local.account, region = local.region, partition = local.p },
    var.definition_vars,
  )
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    # Confused-deputy guard: only this account's state machines may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      # the machine, and its versions and aliases (<arn>:<qualifier>)
      values = [
        "arn:${local.p}:states:${local.region}:${local.account}:stateMachine:${var.name}",
        "arn:${local.p}:states:${local.region}:${local.account}:stateMachine:${var.name}:*",
      ]
    }
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "Notify"
    actions   = ["sns:Publish"]
    resources = [var.sns_topic_arn]
  }
  dynamic "statement" {
    for_each = var.sns_kms_key_arn == "" ? [] : [1]
    content {
      sid       = "NotifyEncryptedTopic"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [var.sns_kms_key_arn]
    }
  }
  dynamic "statement" {
    for_each = var.sns_kms_alias == "" ? [] : [1]
    content {
      sid       = "NotifyEncryptedTopicByAlias"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = ["arn:${local.p}:kms:${local.region}:${local.account}:key/*"]
      condition {
        test     = "ForAnyValue:StringEquals"
        variable = "kms:ResourceAliases"
        values   = [var.sns_kms_alias]
      }
    }
  }
  statement {
    sid       = "SyncManagedRules"
    actions   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    resources = [local.managed_rules]
  }
  statement {
    # checkov:skip=CKV_AWS_111: log delivery actions have no resource type (Step Functions logging docs).
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
    # RunJobFlow has no resource type: it must be on "*", scoped by the tags the request carries.
    for_each = var.emr ? [1] : []
    content {
      sid       = "EmrCreateTaggedClusters"
      actions   = ["elasticmapreduce:RunJobFlow"]
      resources = ["*"]
      dynamic "condition" {
        for_each = var.emr_request_tags
        content {
          test     = "StringEquals"
          variable = "aws:RequestTag/${condition.key}"
          values   = [condition.value]
        }
      }
    }
  }
  dynamic "statement" {
    # createCluster needs AWSServiceRoleForEMRCleanup; EMR creates it on the first RunJobFlow
    # when the caller may (one per account, so no environment owns it).
    for_each = var.emr ? [1] : []
    content {
      sid       = "EmrCleanupServiceLinkedRole"
      actions   = ["iam:CreateServiceLinkedRole"]
      resources = ["arn:${local.p}:iam::${local.account}:role/aws-service-role/elasticmapreduce.amazonaws.com*/AWSServiceRoleForEMRCleanup*"]
      condition {
        test     = "StringLike"
        variable = "iam:AWSServiceName"
        values   = ["elasticmapreduce.amazonaws.com", "elasticmapreduce.amazonaws.com.cn"]
      }
    }
  }
  dynamic "statement" {
    for_each = var.emr ? [1] : []
    content {
      sid       = "EmrManageClusters"
      actions   = ["elasticmapreduce:DescribeCluster", "elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep", "elasticmapreduce:CancelSteps", "elasticmapreduce:TerminateJobFlows", "elasticmapreduce:AddTags"]
      resources = [local.clusters]
    }
  }
  dynamic "statement" {
    for_each = length(var.s3_list_prefixes) > 0 ? [1] : []
    content {
      sid       = "CheckInputs"
      actions   = ["s3:ListBucket"]
      resources = [var.s3_list_bucket_arn]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = var.s3_list_prefixes
      }
    }
  }
  dynamic "statement" {
    for_each = var.single_flight ? [1] : []
    content {
      sid       = "SingleFlight"
      actions   = ["states:ListExecutions"]
      resources = ["arn:${local.p}:states:${local.region}:${local.account}:stateMachine:${var.name}"]
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
    for_each = var.pass_roles
    content {
      sid       = "PassRole${statement.key}"
      actions   = ["iam:PassRole"]
      resources = [statement.value.arn]
      condition {
        test     = "StringEquals"
        variable = "iam:PassedToService"
        values   = [statement.value.service]
      }
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
  # checkov:skip=CKV_AWS_158: KMS on the log group is optional (var.kms_key_arn); lab stacks keep the default encryption.
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn == "" ? null : var.kms_key_arn
  tags              = var.tags
}

resource "aws_sfn_state_machine" "this" {
  name       = var.name
  role_arn   = aws_iam_role.this.arn
  type       = var.type
  definition = templatefile(var.definition_file, local.definition_vars)
  tags       = var.tags

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }

  # The first execution must find the role's permissions in place.
  depends_on = [aws_iam_role_policy.this]
}
