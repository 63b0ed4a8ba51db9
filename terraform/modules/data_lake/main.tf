resource "aws_s3_bucket" "this" {
  for_each      = toset(var.buckets)
  bucket        = "${var.name_prefix}-${each.key}-${var.name_suffix}"
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Purpose = each.key })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = aws_s3_bucket.this
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_partition" "current" {}

# Over the names, not the bucket resources: a data source that depends on a resource with
# pending changes is read only at apply, and the policy must be known (and linted) at plan.
data "aws_iam_policy_document" "tls_only" {
  for_each = toset(var.buckets)
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"] # a Deny: every S3 action over plain HTTP is refused
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.name_prefix}-${each.key}-${var.name_suffix}", "arn:${data.aws_partition.current.partition}:s3:::${var.name_prefix}-${each.key}-${var.name_suffix}/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each   = aws_s3_bucket.this
  bucket     = each.value.id
  policy     = data.aws_iam_policy_document.tls_only[each.key].json
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = toset([for b in var.versioned_buckets : b if contains(var.buckets, b)])
  bucket   = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

# Every bucket: abort stalled multipart uploads, expire old versions; data: expire temporary
# and quarantined files; logs: expire everything after log_expire_days.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = contains(var.versioned_buckets, each.key) ? [1] : []
    content {
      id     = "expire-noncurrent-versions"
      status = "Enabled"
      filter {}
      noncurrent_version_expiration {
        noncurrent_days = var.noncurrent_days
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "data" ? var.expire_prefixes : []
    content {
      id     = "expire-${trimsuffix(rule.value, "/")}"
      status = "Enabled"
      filter {
        prefix = rule.value
      }
      expiration {
        days = var.expire_days
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "logs" ? [1] : []
    content {
      id     = "expire-logs"
      status = "Enabled"
      filter {}
      expiration {
        days = var.log_expire_days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
