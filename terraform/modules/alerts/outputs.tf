output "topic_arn" {
  description = "Alerts topic ARN."
  value       = try(aws_sns_topic.this.arn, "")
}

output "kms_key_arn" {
  description = "KMS key of the topic (publishers need kms:GenerateDataKey and kms:Decrypt on it)."
  value       = try(local.kms_key_arn, "")
}

output "rule_names" {
  description = "EventBridge rules that publish to the topic."
  value       = try(concat([for r in aws_cloudwatch_event_rule.execution_unnotified : r.name], [for r in aws_cloudwatch_event_rule.execution_failed_unnotified : r.name], [for r in aws_cloudwatch_event_rule.glue_job_failed : r.name]), [])
}

output "inbox_queue_url" {
  description = "URL of the SQS alerts inbox; empty when none was requested."
  value       = try(aws_sqs_queue.inbox[0].url, "")
}
