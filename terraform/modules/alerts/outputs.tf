output "topic_arn" {
  description = "Alerts topic ARN."
  value       = try(aws_sns_topic.this.arn, "")
}
