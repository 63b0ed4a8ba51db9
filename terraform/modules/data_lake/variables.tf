variable "name_prefix" {
  description = "Prefix of every bucket name: <project>-<env>."
  type        = string
}

variable "name_suffix" {
  description = "Suffix that makes bucket names globally unique (the account id)."
  type        = string
}

variable "buckets" {
  description = "Bucket kinds to create: data (raw/curated/features/quarantine/tmp), artifacts, logs."
  type        = list(string)
  default     = ["data", "artifacts", "logs"]
}

variable "versioned_buckets" {
  description = "Bucket kinds with versioning on (raw data lives in data; artifacts keep old code and models)."
  type        = list(string)
  default     = ["data", "artifacts"]
}

variable "expire_prefixes" {
  description = "Prefixes of the data bucket expired after expire_days (temporary and quarantined files)."
  type        = list(string)
  default     = ["tmp/", "quarantine/"]
}

variable "expire_days" {
  description = "Days after which objects under expire_prefixes are deleted."
  type        = number
  default     = 30
  validation {
    condition     = var.expire_days >= 1
    error_message = "The expire_days value must be at least 1."
  }
}

variable "noncurrent_days" {
  description = "Days a noncurrent object version is kept in versioned buckets."
  type        = number
  default     = 30
  validation {
    condition     = var.noncurrent_days >= 1
    error_message = "The noncurrent_days value must be at least 1."
  }
}

variable "log_expire_days" {
  description = "Days after which objects in the logs bucket are deleted."
  type        = number
  default     = 90
  validation {
    condition     = var.log_expire_days >= 1
    error_message = "The log_expire_days value must be at least 1."
  }
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (never in prod)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
