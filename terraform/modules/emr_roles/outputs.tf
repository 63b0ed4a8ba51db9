output "service_role_arn" {
  description = "EMR service role ARN."
  value       = try(aws_iam_role.service.arn, "")
}

output "instance_role_arn" {
  description = "EC2 instance role ARN."
  value       = try(aws_iam_role.instance.arn, "")
}

output "instance_profile_name" {
  description = "Instance profile name (the JobFlowRole in RunJobFlow)."
  value       = try(aws_iam_instance_profile.instance.name, "")
}
