data "aws_partition" "current" {}
data "aws_region" "current" {}

# The SageMaker scikit-learn serving image of this region (AWS's registry account differs per region).
data "aws_sagemaker_prebuilt_ecr_image" "sklearn" {
  repository_name = "sagemaker-scikit-learn"
  image_tag       = var.image_tag
}

locals {
  p     = data.aws_partition.current.partition
  image = var.image != "" ? var.image : data.aws_sagemaker_prebuilt_ecr_image.sklearn.registry_path
  # arn:<p>:ecr:<region>:<registry account>:repository/<name> of the image actually used.
  image_registry   = split(".", local.image)[0]
  image_repository = split(":", split("/", local.image)[1])[0]
  image_repo_arn   = "arn:${local.p}:ecr:${data.aws_region.current.name}:${local.image_registry}:repository/${local.image_repository}"
  model_uri        = "s3://${var.model_bucket}/${var.model_key}"
}

resource "aws_s3_object" "model" {
  bucket = var.model_bucket
  key    = var.model_key
  source = var.model_artifact_path
  etag   = filemd5(var.model_artifact_path)
  tags   = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

# The execution role of the documented CreateModel/CreateTransformJob role, scoped to this model.
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ReadModel"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.p}:s3:::${var.model_bucket}/${var.model_key}"]
  }
  statement {
    sid       = "ReadInputs"
    actions   = ["s3:GetObject"]
    resources = ["${var.data_bucket_arn}/${var.input_prefix}*"]
  }
  statement {
    # ListBucket acts on the bucket; the prefix condition keeps it to the batch inputs.
    sid       = "ListInputs"
    actions   = ["s3:ListBucket"]
    resources = [var.data_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.input_prefix, "${var.input_prefix}*"]
    }
  }
  statement {
    sid       = "WriteOutputs"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.data_bucket_arn}/${var.output_prefix}*"]
  }
  statement {
    # checkov:skip=CKV_AWS_356: ecr:GetAuthorizationToken has no resource type.
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [local.image_repo_arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${local.p}:logs:${data.aws_region.current.name}:${var.account_id}:log-group:/aws/sagemaker/*"]
  }
  statement {
    sid       = "Metrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/TransformJobs"]
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
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_sagemaker_model" "this" {
  name               = var.name
  execution_role_arn = aws_iam_role.this.arn
  tags               = var.tags

  primary_container {
    image          = local.image
    model_data_url = local.model_uri
    environment = {
      SAGEMAKER_PROGRAM          = "inference.py"
      SAGEMAKER_SUBMIT_DIRECTORY = "/opt/ml/model/code"
    }
  }

  depends_on = [aws_s3_object.model, aws_iam_role_policy.this]
}
