variable "topic_name" {
  description = "SNS topic for pipeline alerts."
  type        = string
}

variable "email_addresses" {
  description = "Email subscriptions (each must confirm)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for a in var.email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "Each alert address must be an email address."
  }
}

variable "require_subscription" {
  description = "Fail the plan when email_addresses is empty (true for AWS deploys)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the topic (its policy must let events and cloudwatch use it); empty = create one."
  type        = string
  default     = ""
}

variable "state_machine_arns" {
  description = "State machines whose executions that end without NotifyFailure (TIMED_OUT, ABORTED, uncaught FAILED) alert."
  type        = list(string)
  default     = []
}

variable "notified_error" {
  description = "Error of the Fail state after NotifyFailure (those executions have already alerted)."
  type        = string
  default     = "PipelineFailed"
}

variable "glue_job_names" {
  description = "Glue jobs whose FAILED/TIMEOUT/ERROR runs may alert (see glue_job_alerts)."
  type        = list(string)
  default     = []
}

variable "glue_job_alerts" {
  description = "Enable the Glue job rule; off by default because the state machines already alert on every run they start."
  type        = bool
  default     = false
}

variable "alarm_name_prefix" {
  description = "CloudWatch alarms whose names start with this may publish (aws:SourceArn)."
  type        = string
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

variable "inbox_queue_name" {
  description = "Name of an SQS queue subscribed to the topic (raw delivery) for tools to read alerts; empty = none (AWS)."
  type        = string
  default     = ""
  validation {
    condition     = var.inbox_queue_name == "" || can(regex("^[A-Za-z0-9_-]{1,80}$", var.inbox_queue_name))
    error_message = "The inbox queue name must be 1-80 letters, digits, hyphens or underscores."
  }
}
