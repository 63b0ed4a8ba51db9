variable "name" {
  description = "State machine name."
  type        = string
}

variable "definition_file" {
  description = "Rendered ASL (build/asl/<pipeline>.asl.json); $${account_id} is filled in here."
  type        = string
}

variable "type" {
  description = "STANDARD or EXPRESS."
  type        = string
  default     = "STANDARD"
  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.type)
    error_message = "The type must be STANDARD or EXPRESS."
  }
}

variable "glue_job_arns" {
  description = "Glue jobs the machine may start and watch."
  type        = list(string)
  default     = []
}

variable "emr" {
  description = "Whether the machine runs transient EMR clusters."
  type        = bool
  default     = false
}

variable "sagemaker" {
  description = "Whether the machine runs SageMaker transform jobs."
  type        = bool
  default     = false
}

variable "pass_role_arns" {
  description = "Roles the machine may pass (EMR service/instance roles, SageMaker execution role)."
  type        = list(string)
  default     = []
}

variable "sns_topic_arn" {
  description = "Topic for Notify states."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the execution log group."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
