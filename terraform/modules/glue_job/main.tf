data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  script_uri = "s3://${var.script_bucket}/${var.script_key}"
  base_arguments = merge(
    {
      "--job-language"                 = "python"
      "--enable-metrics"               = "true"
      "--enable-observability-metrics" = "true"
      # Glue 5.0 always streams driver/executor logs to CloudWatch: --enable-continuous-cloudwatch-log has no effect there.
      # Its groups are <prefix>/output and <prefix>/error; this module creates both with a retention.
      "--custom-logGroup-prefix" = var.log_group_prefix
    },
    var.extra_py_files_key == "" ? {} : { "--extra-py-files" = "s3://${var.script_bucket}/${var.extra_py_files_key}" },
  )
  p       = data.aws_partition.current.partition
  region  = data.aws_region.current.name
  account = data.aws_caller_identity.current.account_id
  log_arn = "arn:${local.p}:logs:${local.region}:${local.account}:log-group:${var.log_group_prefix}/*"
  # The crawl path as s3://bucket/prefix -> bucket ARN and prefix.
  crawl_bucket = var.create_crawler ? split("/", trimprefix(var.crawl_s3_path, "s3://"))[0] : ""
  crawl_prefix = var.create_crawler ? join("/", slice(split("/", trimprefix(var.crawl_s3_path, "s3://")), 1, length(split("/", trimprefix(var.crawl_s3_path, "s3://"))))) : ""
  database     = replace(var.name, "-", "_")
}

resource "aws_s3_object" "script" {
  bucket = var.script_bucket
  key    = var.script_key
  source = var.script_path
  etag   = filemd5(var.script_path)
  tags   = var.tags
}

resource "aws_s3_object" "extra_py_files" {
  count  = var.extra_py_files_key == "" ? 0 : 1
  bucket = var.script_bucket
  key    = var.extra_py_files_key
  source = var.extra_py_files_path
  etag   = filemd5(var.extra_py_files_path)
  tags   = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
    # No aws:SourceAccount/SourceArn here: Glue does not document sending them when it assumes a
    # job role, and a condition on a key that is absent would stop every run.
  }
}

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ReadInputsAndCode"
    actions   = ["s3:GetObject"]
    resources = concat(var.read_s3_arns, [for k in compact([var.script_key, var.extra_py_files_key]) : "arn:${local.p}:s3:::${var.script_bucket}/${k}"])
  }
  statement {
    sid       = "WriteOutputs"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = var.write_s3_arns
  }
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket"]
    resources = var.bucket_arns
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.log_arn, "${local.log_arn}:*"]
  }
  statement {
    sid       = "Metrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.job.json
}

# The job's log groups, created here so that they have a retention (Glue would create them
# without one) and go with the stack on destroy. Several jobs may share a prefix: then only one
# of them creates the groups (create_log_groups).
resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158: KMS on the log group is optional (var.kms_key_arn); lab stacks keep the default encryption.
  # checkov:skip=CKV_AWS_338: a lab stack keeps logs for log_retention_days (default 14), not a year.
  for_each          = var.create_log_groups ? toset(["output", "error"]) : toset([])
  name              = "${var.log_group_prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn == "" ? null : var.kms_key_arn
  tags              = var.tags
}

resource "aws_glue_job" "this" {
  name              = var.name
  role_arn          = aws_iam_role.this.arn
  glue_version      = var.glue_version
  worker_type       = var.worker_type
  number_of_workers = var.number_of_workers
  timeout           = var.timeout_minutes
  max_retries       = 0 # Step Functions retries
  default_arguments = merge(local.base_arguments, var.default_arguments)
  tags              = var.tags

  command {
    name            = "glueetl"
    script_location = local.script_uri
    python_version  = "3"
  }

  execution_property {
    max_concurrent_runs = var.max_concurrent_runs
  }

  depends_on = [aws_s3_object.script, aws_s3_object.extra_py_files, aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}

resource "aws_glue_catalog_database" "this" {
  count = var.create_crawler ? 1 : 0
  name  = local.database
  tags  = var.tags
}

# The crawler has its own role: it needs the Glue catalog (the job role has none) and only reads.
data "aws_iam_policy_document" "crawler" {
  count = var.create_crawler ? 1 : 0
  statement {
    sid = "Catalog"
    actions = [
      "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable",
      "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:BatchCreatePartition",
      "glue:UpdatePartition", "glue:BatchUpdatePartition",
    ]
    resources = [
      "arn:${local.p}:glue:${local.region}:${local.account}:catalog",
      "arn:${local.p}:glue:${local.region}:${local.account}:database/${local.database}",
      "arn:${local.p}:glue:${local.region}:${local.account}:table/${local.database}/*",
    ]
  }
  statement {
    sid       = "ReadCrawlPath"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.p}:s3:::${local.crawl_bucket}/${local.crawl_prefix}*"]
  }
  statement {
    sid       = "ListCrawlPath"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.p}:s3:::${local.crawl_bucket}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [local.crawl_prefix, "${local.crawl_prefix}*"]
    }
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.p}:logs:${local.region}:${local.account}:log-group:/aws-glue/crawlers*"]
  }
}

resource "aws_iam_role" "crawler" {
  count              = var.create_crawler ? 1 : 0
  name               = "${var.role_name}-crawler"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "crawler" {
  count  = var.create_crawler ? 1 : 0
  name   = "${var.name}-crawler"
  role   = aws_iam_role.crawler[0].id
  policy = data.aws_iam_policy_document.crawler[0].json
}

resource "aws_glue_crawler" "this" {
  count         = var.create_crawler ? 1 : 0
  name          = "${var.name}-crawler"
  role          = aws_iam_role.crawler[0].arn
  database_name = aws_glue_catalog_database.this[0].name
  tags          = var.tags

  s3_target {
    path = var.crawl_s3_path
  }

  depends_on = [aws_iam_role_policy.crawler]
}
