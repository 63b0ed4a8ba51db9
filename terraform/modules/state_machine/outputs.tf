output "arn" {
  description = "State machine ARN."
  value       = try(aws_sfn_state_machine.this.arn, "")
}

output "role_arn" {
  description = "ARN of the state machine's role."
  value       = try(aws_iam_role.this.arn, "")
}

output "log_group" {
  description = "Execution log group."
  value       = try(aws_cloudwatch_log_group.this.name, "")
}
