output "bucket_names" {
  description = "Bucket name per kind."
  value       = try({ for k, b in aws_s3_bucket.this : k => b.bucket }, {})
}

output "bucket_arns" {
  description = "Bucket ARN per kind."
  value       = try({ for k, b in aws_s3_bucket.this : k => b.arn }, {})
}
