output "rule_name" {
  description = "Rule name."
  value       = try(aws_cloudwatch_event_rule.this.name, "")
}

output "rule_arn" {
  description = "Rule ARN."
  value       = try(aws_cloudwatch_event_rule.this.arn, "")
}
