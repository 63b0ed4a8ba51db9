output "buckets" {
  description = "Bucket name per kind."
  value       = try(module.data_lake.bucket_names, {})
}

output "state_machine_arns" {
  description = "State machine ARN per pipeline."
  value       = try({ churn = module.sfn_churn.arn, emr = module.sfn_emr.arn, inference = module.sfn_inference.arn }, {})
}

output "alerts_topic_arn" {
  description = "Alerts topic ARN."
  value       = try(module.alerts.topic_arn, "")
}
