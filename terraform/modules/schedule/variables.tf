variable "name" {
  description = "EventBridge rule name."
  type        = string
}

variable "schedule_expression" {
  description = "EventBridge cron() or rate() expression, e.g. cron(0/15 * * * ? *)."
  type        = string
  validation {
    condition     = can(regex("^(cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", var.schedule_expression))
    error_message = "The schedule_expression must be cron() with 6 fields or rate(N unit)."
  }
}

variable "state_machine_arn" {
  description = "State machine the rule starts."
  type        = string
}

variable "enabled" {
  description = "Whether the rule fires."
  type        = bool
  default     = true
}

variable "input" {
  description = "Execution input (JSON)."
  type        = string
  default     = "{}"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
