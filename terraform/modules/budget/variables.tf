variable "name" {
  description = "Budget name."
  type        = string
}

variable "limit_usd" {
  description = "Monthly cost budget in USD (lab 1 recommends 5)."
  type        = number
  default     = 5
  validation {
    condition     = var.limit_usd > 0
    error_message = "The limit_usd must be positive."
  }
}

variable "email_addresses" {
  description = "Who is told at 80% actual and 100% forecast spend."
  type        = list(string)
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
