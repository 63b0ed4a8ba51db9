variable "name_prefix" {
  description = "Prefix for alarm and dashboard names: <project>-<env>."
  type        = string
}

variable "state_machine_arns" {
  description = "State machines to alarm on (name => ARN)."
  type        = map(string)
}

variable "alarm_topic_arn" {
  description = "Topic the alarms notify."
  type        = string
}

variable "alarm_actions_enabled" {
  description = "Whether the alarms publish to alarm_topic_arn (off: failures alert once, from the pipelines)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
