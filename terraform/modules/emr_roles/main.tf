data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  p       = data.aws_partition.current.partition
  account = data.aws_caller_identity.current.account_id
}

data "aws_iam_policy_document" "assume_service" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["elasticmapreduce.amazonaws.com"]
    }
    # Confused-deputy guard (EMR documents both keys for its service role).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.p}:elasticmapreduce:${data.aws_region.current.name}:${local.account}:*"]
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

  lifecycle {
    precondition {
      condition     = !var.require_subnet || var.subnet_id != ""
      error_message = "Set emr_subnet_id for an AWS deploy: AmazonEMRServicePolicy_v2 launches clusters only into a subnet (and VPC) tagged for-use-with-amazon-emr-managed-policies=true."
    }
  }
}

# AWS's managed v2 service policy only acts on resources tagged
# for-use-with-amazon-emr-managed-policies=true: the cluster (RunJobFlow Tags) and the subnet/VPC.
resource "aws_iam_role_policy_attachment" "service" {
  role       = aws_iam_role.service.name
  policy_arn = "arn:${local.p}:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"
}

# The managed policy may only pass EMR_EC2_DefaultRole; the cluster's instances use ours.
data "aws_iam_policy_document" "service_pass_instance_role" {
  statement {
    sid       = "PassInstanceRole"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.p}:iam::${local.account}:role/${var.instance_role_name}"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "service" {
  name   = "${var.service_role_name}-pass-instance-role"
  role   = aws_iam_role.service.id
  policy = data.aws_iam_policy_document.service_pass_instance_role.json
}

# createCluster needs AWSServiceRoleForEMRCleanup, one per account: the state machine's role may
# create it (iam:CreateServiceLinkedRole), so by default no environment owns it. To manage it
# here instead, set create_service_linked_role = true in one environment only (or import it):
#   terraform import 'module.emr_roles.aws_iam_service_linked_role.cleanup[0]' arn:aws:iam::<account>:role/aws-service-role/elasticmapreduce.amazonaws.com/AWSServiceRoleForEMRCleanup
resource "aws_iam_service_linked_role" "cleanup" {
  count            = var.create_service_linked_role ? 1 : 0
  aws_service_name = "elasticmapreduce.amazonaws.com"
  description      = "EMR cleanup of EC2 resources (needed by transient clusters)."
  tags             = var.tags
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
    # Spark/EMRFS list parent "directories" too (mkdirs, committers): listing is by bucket.
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
