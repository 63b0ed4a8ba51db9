data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume_service" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["elasticmapreduce.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "service" {
  name               = var.service_role_name
  assume_role_policy = data.aws_iam_policy_document.assume_service.json
  tags               = var.tags
}

# AWS's managed v2 service policy only acts on resources tagged for-use-with-amazon-emr-managed-policies.
resource "aws_iam_role_policy_attachment" "service" {
  role       = aws_iam_role.service.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"
}

resource "aws_iam_role" "instance" {
  name               = var.instance_role_name
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
  tags               = var.tags
}

data "aws_iam_policy_document" "instance" {
  statement {
    sid       = "ReadApps"
    actions   = ["s3:GetObject"]
    resources = ["${var.artifacts_bucket_arn}/emr/*"]
  }
  statement {
    sid       = "Data"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.data_bucket_arn}/raw/telemetry/*", "${var.data_bucket_arn}/curated/telemetry/*"]
  }
  statement {
    sid       = "Logs"
    actions   = ["s3:PutObject"]
    resources = ["${var.logs_bucket_arn}/emr/*"]
  }
  statement {
    sid       = "List"
    actions   = ["s3:ListBucket"]
    resources = [var.data_bucket_arn, var.artifacts_bucket_arn, var.logs_bucket_arn]
  }
}

resource "aws_iam_role_policy" "instance" {
  name   = "${var.instance_role_name}-s3"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.instance.json
}

resource "aws_iam_instance_profile" "instance" {
  name = var.instance_role_name
  role = aws_iam_role.instance.name
  tags = var.tags
}
