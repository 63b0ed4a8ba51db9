output "alarm_names" {
  description = "Every alarm created."
  value       = try([for a in aws_cloudwatch_metric_alarm.executions_failed : a.alarm_name], [])
}

output "dashboard_name" {
  description = "Dashboard name."
  value       = try(aws_cloudwatch_dashboard.this.dashboard_name, "")
}
