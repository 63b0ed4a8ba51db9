variable "name" {
  description = "Glue job name."
  type        = string
}

variable "role_name" {
  description = "Name of the job's IAM role."
  type        = string
}

variable "script_path" {
  description = "Local path of the job script, uploaded to script_s3_uri."
  type        = string
}

variable "script_bucket" {
  description = "Bucket the script is uploaded to."
  type        = string
}

variable "script_key" {
  description = "Key of the script in script_bucket."
  type        = string
}

variable "extra_py_files_path" {
  description = "Local path of the zip passed as --extra-py-files (empty for none)."
  type        = string
  default     = ""
}

variable "extra_py_files_key" {
  description = "Key of the --extra-py-files zip in script_bucket."
  type        = string
  default     = ""
}

variable "default_arguments" {
  description = "Job DefaultArguments (run Arguments from Step Functions override them)."
  type        = map(string)
  default     = {}
}

variable "glue_version" {
  description = "Glue version (5.0 = Spark 3.5.4, Python 3.11)."
  type        = string
  default     = "5.0"
  validation {
    condition     = contains(["4.0", "5.0"], var.glue_version)
    error_message = "The glue_version must be 4.0 or 5.0."
  }
}

variable "worker_type" {
  description = "Glue worker type (Spark ETL types only: G.025X is for streaming jobs)."
  type        = string
  default     = "G.1X"
  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X"], var.worker_type)
    error_message = "The worker_type must be one of G.1X, G.2X, G.4X, G.8X (G.025X is streaming-only)."
  }
}

variable "number_of_workers" {
  description = "Number of workers."
  type        = number
  default     = 2
  validation {
    condition     = var.number_of_workers >= 2
    error_message = "Glue Spark jobs need at least 2 workers."
  }
}

variable "timeout_minutes" {
  description = "Job run timeout in minutes (the state machine's task timeout must exceed it)."
  type        = number
  default     = 60
  validation {
    condition     = var.timeout_minutes >= 1 && var.timeout_minutes <= 2880
    error_message = "The timeout_minutes must be between 1 and 2880."
  }
}

variable "max_concurrent_runs" {
  description = "Maximum concurrent runs of the job."
  type        = number
  default     = 1
}

variable "read_s3_arns" {
  description = "S3 ARNs (bucket/prefix*) the job may read."
  type        = list(string)
}

variable "write_s3_arns" {
  description = "S3 ARNs (bucket/prefix*) the job may write and delete."
  type        = list(string)
}

variable "bucket_arns" {
  description = "Bucket ARNs the job may list."
  type        = list(string)
}

variable "create_crawler" {
  description = "Create a crawler and catalog database over crawl_s3_path."
  type        = bool
  default     = false
}

variable "crawl_s3_path" {
  description = "S3 path the optional crawler catalogs (the job's output)."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "log_group_prefix" {
  description = "Glue 5.0 --custom-logGroup-prefix: the job logs to <prefix>/output and <prefix>/error (e.g. /aws-glue/jobs/<project>-<env>), so each env has its own groups."
  type        = string
  validation {
    condition     = can(regex("^/[^:*]{1,390}[^/:*]$", var.log_group_prefix))
    error_message = "log_group_prefix must start with '/', not end with '/', and contain no ':' or '*' (Glue's rule for custom log group prefixes)."
  }
}

variable "create_log_groups" {
  description = "Create <prefix>/output and <prefix>/error with a retention (false when another job of the same prefix creates them)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the job's log groups."
  type        = number
  default     = 14
}

variable "kms_key_arn" {
  description = "KMS key for the log groups (empty: CloudWatch's default encryption)."
  type        = string
  default     = ""
}
