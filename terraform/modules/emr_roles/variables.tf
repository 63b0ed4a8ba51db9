variable "service_role_name" {
  description = "Name of the EMR service role."
  type        = string
}

variable "instance_role_name" {
  description = "Name of the EC2 instance role (and its instance profile)."
  type        = string
}

variable "data_bucket_arn" {
  description = "ARN of the data bucket the cluster reads and writes."
  type        = string
}

variable "artifacts_bucket_arn" {
  description = "ARN of the bucket holding the Spark apps (read only)."
  type        = string
}

variable "logs_bucket_arn" {
  description = "ARN of the bucket for cluster and step logs."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
