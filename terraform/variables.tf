variable "project" {
  description = "Project name; first part of every resource name and the Project tag."
  type        = string
  default     = "mlpipe"
}

variable "env" {
  description = "Environment name (dev, prod, ...); the Environment tag."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.env))
    error_message = "The env must be 1-20 lower-case letters, digits and dashes, starting with a letter (it is part of every bucket and role name)."
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
  description = "Whether the 15-minute EMR schedule fires (each run is a cluster: off unless you mean it)."
  type        = bool
  default     = false
}

variable "sklearn_image" {
  description = "Serving image URI override; empty = AWS's sagemaker-scikit-learn:<sklearn_image_tag> for var.region."
  type        = string
  default     = ""
}

variable "alert_emails" {
  description = "Email subscriptions of the alerts topic; at least one is required on AWS (endpoint empty)."
  type        = list(string)
  default     = []
}

variable "budget_emails" {
  description = "Who the monthly budget notifies; empty = the alert_emails (no budget when both are empty)."
  type        = list(string)
  default     = []
}

variable "budget_limit_usd" {
  description = "Monthly budget in USD."
  type        = number
  default     = 5
}

variable "names" {
  description = "Name overrides by key (e.g. the lab's fixed names: churn_state_machine = \"Customer-Churn-State-Machine\"); every default carries <project>-<env>."
  type        = map(string)
  default     = {}
}

variable "emr_subnet_id" {
  description = "Subnet (Ec2SubnetId) of the transient EMR clusters; the subnet and its VPC must carry the tag for-use-with-amazon-emr-managed-policies=true. Required on AWS."
  type        = string
  default     = ""
  validation {
    condition     = var.emr_subnet_id == "" || can(regex("^subnet-[0-9a-z]+$", var.emr_subnet_id))
    error_message = "The emr_subnet_id must be a subnet id (subnet-...)."
  }
}

variable "create_emr_service_linked_role" {
  description = "Manage AWSServiceRoleForEMRCleanup in this environment (one per account; by default the EMR state machine's role creates it on first use)."
  type        = bool
  default     = false
}

variable "sklearn_image_tag" {
  description = "Tag of AWS's sagemaker-scikit-learn serving image; build/models is trained in a venv pinned to its versions (mlpipe/serving.py)."
  type        = string
  default     = "1.9-0-cpu-py3"
}

variable "glue_log_retention_days" {
  description = "Retention of the env's Glue log groups (<glue_log_prefix>/output and /error)."
  type        = number
  default     = 14
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the alerts topic and log groups (its policy must let events and cloudwatch use it); empty = the alerts module creates one."
  type        = string
  default     = ""
}

variable "glue_job_alerts" {
  description = "Also alert on Glue job runs that fail (for runs started outside the state machines, which alert on their own)."
  type        = bool
  default     = false
}

variable "alerts_inbox" {
  description = "Subscribe an SQS inbox (<project>-<env>-alerts-inbox) to the alerts topic, for `invoke run` and tests to read alerts (local cloud, LocalStack)."
  type        = bool
  default     = false
}

variable "build_dir" {
  description = "Directory holding the rendered ASL (asl/), the Glue scripts and transforms zip (glue/), the EMR app (emr/) and the model (models/); empty = ../build. `invoke deploy` builds it first."
  type        = string
  default     = ""
}
