variable "name" {
  description = "State machine name."
  type        = string
}

variable "definition_file" {
  description = "Rendered ASL (build/asl/<pipeline>.asl.json); $${account_id}, $${region}, $${partition} and definition_vars are filled in here."
  type        = string
}

variable "definition_vars" {
  description = "Extra templatefile() variables of the definition (e.g. emr_subnet_id)."
  type        = map(string)
  default     = {}
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

variable "emr_request_tags" {
  description = "Tags every RunJobFlow request must carry (aws:RequestTag conditions; include for-use-with-amazon-emr-managed-policies = true)."
  type        = map(string)
  default     = { "for-use-with-amazon-emr-managed-policies" = "true" }
}

variable "sagemaker" {
  description = "Whether the machine runs SageMaker transform jobs."
  type        = bool
  default     = false
}

variable "pass_roles" {
  description = "Roles the machine may pass, each with the service it is passed to (iam:PassedToService)."
  type        = list(object({ arn = string, service = string }))
  default     = []
  validation {
    condition     = alltrue([for r in var.pass_roles : can(regex("^[a-z0-9.-]+\\.amazonaws\\.com$", r.service))])
    error_message = "Each pass_roles service must be a service principal such as elasticmapreduce.amazonaws.com."
  }
}

variable "single_flight" {
  description = "Allow states:ListExecutions on this machine (the ASL skips a run while another one is running)."
  type        = bool
  default     = false
}

variable "s3_list_bucket_arn" {
  description = "Bucket whose s3_list_prefixes the machine may list (input checks)."
  type        = string
  default     = ""
}

variable "s3_list_prefixes" {
  description = "s3:prefix patterns the machine may list in s3_list_bucket_arn (empty: no listing)."
  type        = list(string)
  default     = []
}

variable "sns_topic_arn" {
  description = "Topic for Notify states."
  type        = string
}

variable "sns_kms_key_arn" {
  description = "KMS key of the topic (empty when the topic is not encrypted with a customer-managed key)."
  type        = string
  default     = ""
}

variable "sns_kms_alias" {
  description = "Alias (alias/<name>) of the topic's KMS key, when its ARN is not known at plan time."
  type        = string
  default     = ""
}

variable "kms_key_arn" {
  description = "KMS key for the execution log group (empty: CloudWatch Logs' default encryption)."
  type        = string
  default     = ""
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
