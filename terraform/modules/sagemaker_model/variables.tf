variable "name" {
  description = "SageMaker model name."
  type        = string
}

variable "role_name" {
  description = "Name of the model's execution role."
  type        = string
}

variable "image" {
  description = "Serving image (the SageMaker scikit-learn container of the region)."
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

variable "input_s3_arn" {
  description = "S3 ARN (prefix*) of the batch inputs the model reads."
  type        = string
}

variable "output_s3_arn" {
  description = "S3 ARN (prefix*) the transform writes predictions to."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
