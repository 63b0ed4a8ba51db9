output "alarm_names" {
  description = "Every alarm created."
  value       = try(concat([for a in aws_cloudwatch_metric_alarm.executions_failed : a.alarm_name], [for a in aws_cloudwatch_metric_alarm.glue_failed_tasks : a.alarm_name]), [])
}

output "dashboard_name" {
  description = "Dashboard name."
  value       = try(aws_cloudwatch_dashboard.this.dashboard_name, "")
}
