variable "name_prefix" {
  description = "Prefix for alarm and dashboard names: <project>-<env>."
  type        = string
}

variable "state_machine_arns" {
  description = "State machines to alarm on (name => ARN)."
  type        = map(string)
}

variable "glue_job_names" {
  description = "Glue jobs to alarm on."
  type        = list(string)
  default     = []
}

variable "alarm_topic_arn" {
  description = "Topic the alarms notify."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
