output "job_name" {
  description = "Glue job name."
  value       = try(aws_glue_job.this.name, "")
}

output "job_arn" {
  description = "Glue job ARN."
  value       = try(aws_glue_job.this.arn, "")
}

output "role_arn" {
  description = "ARN of the job's role."
  value       = try(aws_iam_role.this.arn, "")
}

output "crawler_name" {
  description = "Crawler name (empty when create_crawler is false)."
  value       = try(aws_glue_crawler.this[0].name, "")
}
