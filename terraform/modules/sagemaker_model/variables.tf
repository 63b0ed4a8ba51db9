variable "name" {
  description = "SageMaker model name."
  type        = string
}

variable "role_name" {
  description = "Name of the model's execution role."
  type        = string
}

variable "image" {
  description = "Serving image URI; empty = AWS's sagemaker-scikit-learn:<image_tag> of the provider's region."
  type        = string
  default     = ""
}

variable "image_tag" {
  description = "Tag of AWS's sagemaker-scikit-learn serving image; the model is trained with that image's library versions (mlpipe.serving)."
  type        = string
  default     = "1.9-0-cpu-py3"
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+-[0-9]+(-py[0-9]+)?-cpu-py3$", var.image_tag))
    error_message = "The image_tag must look like 1.9-0-cpu-py3 (a sagemaker-scikit-learn CPU tag)."
  }
}

variable "account_id" {
  description = "Account of the role and log groups (aws:SourceAccount in the trust policy)."
  type        = string
}

variable "model_artifact_path" {
  description = "Local model.tar.gz, uploaded to model_bucket/model_key."
  type        = string
}

variable "model_bucket" {
  description = "Bucket of the model artifact."
  type        = string
}

variable "model_key" {
  description = "Key of the model artifact."
  type        = string
}

variable "data_bucket_arn" {
  description = "ARN of the bucket holding the batch inputs and predictions."
  type        = string
}

variable "input_prefix" {
  description = "Key prefix of the batch inputs (e.g. raw/abalone/)."
  type        = string
}

variable "output_prefix" {
  description = "Key prefix the transform writes predictions under (e.g. predictions/abalone/)."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
