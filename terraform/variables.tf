variable "project" {
  description = "Project name; first part of every resource name and the Project tag."
  type        = string
  default     = "mlpipe"
}

variable "env" {
  description = "Environment name (dev, prod, ...); the Environment tag."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9-]+$", var.env))
    error_message = "The env must be lower-case letters, digits and dashes."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "endpoint" {
  description = "Service endpoint for every AWS API (the local cloud or LocalStack); empty for AWS."
  type        = string
  default     = ""
}

variable "extra_tags" {
  description = "Tags added to Project/Environment/ManagedBy on every resource."
  type        = map(string)
  default     = {}
}

variable "glue_version" {
  description = "Glue version of both jobs."
  type        = string
  default     = "5.0"
}

variable "glue_worker_type" {
  description = "Glue worker type of both jobs."
  type        = string
  default     = "G.1X"
}

variable "glue_workers" {
  description = "Workers per Glue job."
  type        = number
  default     = 2
}

variable "glue_timeout_minutes" {
  description = "Glue job timeout in minutes."
  type        = number
  default     = 60
}

variable "create_crawler" {
  description = "Crawl the features output into the Glue catalog (lab 1)."
  type        = bool
  default     = false
}

variable "emr_schedule_enabled" {
  description = "Whether the 15-minute EMR schedule fires."
  type        = bool
  default     = true
}

variable "sklearn_image" {
  description = "SageMaker scikit-learn serving image for the region."
  type        = string
  default     = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
}

variable "alert_emails" {
  description = "Email subscriptions of the alerts topic."
  type        = list(string)
  default     = []
}

variable "budget_emails" {
  description = "Who the monthly budget notifies; no budget when empty."
  type        = list(string)
  default     = []
}

variable "budget_limit_usd" {
  description = "Monthly budget in USD."
  type        = number
  default     = 5
}
