variable "topic_name" {
  description = "SNS topic for pipeline alerts."
  type        = string
}

variable "email_addresses" {
  description = "Email subscriptions (each must confirm)."
  type        = list(string)
  default     = []
}

variable "state_machine_arns" {
  description = "State machines whose FAILED/TIMED_OUT/ABORTED executions alert."
  type        = list(string)
  default     = []
}

variable "publisher_role_arns" {
  description = "Roles allowed to publish (the state machines' roles)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
