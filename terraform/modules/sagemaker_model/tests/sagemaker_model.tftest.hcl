# terraform test (mock provider): the serving image tag is validated.
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
  mock_data "aws_sagemaker_prebuilt_ecr_image" {
    defaults = { registry_path = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
}

variables {
  name                = "mlpipe-test-abalone-model"
  role_name           = "mlpipe-test-sagemaker"
  account_id          = "123456789012"
  model_artifact_path = "tests/fixture_model.tar.gz"
  model_bucket        = "mlpipe-test-artifacts-123456789012"
  model_key           = "models/abalone/model.tar.gz"
  data_bucket_arn     = "arn:aws:s3:::mlpipe-test-data-123456789012"
  input_prefix        = "raw/abalone/"
  output_prefix       = "predictions/abalone/"
}

run "default_tag_plans" {
  command = plan
  assert {
    condition     = var.image_tag == "1.9-0-cpu-py3"
    error_message = "The default serving image is the one mlpipe/serving.py pins."
  }
  assert {
    condition     = aws_sagemaker_model.this.primary_container[0].image == "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.9-0-cpu-py3"
    error_message = "The image comes from the region's prebuilt ECR image, not a hard-coded URI."
  }
  assert {
    condition     = local.image_repo_arn == "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-scikit-learn"
    error_message = "ECR pulls are scoped to the image's repository."
  }
}

run "a_gpu_or_bogus_tag_is_rejected" {
  command = plan
  variables {
    image_tag = "latest"
  }
  expect_failures = [var.image_tag]
}
