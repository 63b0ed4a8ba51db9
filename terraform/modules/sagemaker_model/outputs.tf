output "model_name" {
  description = "SageMaker model name."
  value       = try(aws_sagemaker_model.this.name, "")
}

output "role_arn" {
  description = "Execution role ARN."
  value       = try(aws_iam_role.this.arn, "")
}
