# Dashboard alarms: every failure already alerts once (NotifyFailure in the state machine, or the
# alerts module's EventBridge rules for executions that end without it), so by default these do not
# notify; set alarm_actions_enabled to page on them instead.
resource "aws_cloudwatch_metric_alarm" "executions_failed" {
  for_each            = var.state_machine_arns
  alarm_name          = "${var.name_prefix}-${each.key}-executions-failed"
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions_enabled ? [var.alarm_topic_arn] : []
  tags                = var.tags
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}-pipelines"
  dashboard_body = jsonencode({
    widgets = [for name, arn in var.state_machine_arns : {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title   = "${name}: executions"
        region  = split(":", arn)[3]
        stat    = "Sum"
        period  = 300
        metrics = [for m in ["ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"] : ["AWS/States", m, "StateMachineArn", arn]]
      }
    }]
  })
}
