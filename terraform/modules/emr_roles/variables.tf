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

variable "subnet_id" {
  description = "Subnet the clusters run in (Ec2SubnetId); checked here, used by the state machine."
  type        = string
  default     = ""
}

variable "require_subnet" {
  description = "Fail the plan when subnet_id is empty (true for AWS deploys)."
  type        = bool
  default     = false
}

variable "create_service_linked_role" {
  description = "Manage AWSServiceRoleForEMRCleanup here (one environment per account at most; by default the state machine creates it on first use)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
