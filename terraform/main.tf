# mlpipe: the churn (lab 1), emr and inference (lab 2) pipelines.
# Names and paths mirror mlpipe/config.py (the local deployer); tests/unit/test_terraform_drift.py
# fails when the two disagree.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  prefix     = "${var.project}-${var.env}"
  tags       = merge(var.extra_tags, { Project = var.project, Environment = var.env, ManagedBy = "mlpipe" })
  s3         = "arn:${data.aws_partition.current.partition}:s3:::"

  names = {
    churn_state_machine     = "Customer-Churn-State-Machine"
    emr_state_machine       = "${local.prefix}-emr-partition"
    inference_state_machine = "${local.prefix}-abalone-inference"
    clean_job               = "customer-churn-cleaning-job"
    features_job            = "customer-churn-avg-total-spent-by-country-job"
    clean_role              = "${local.prefix}-glue-clean"
    features_role           = "${local.prefix}-glue-features"
    emr_service_role        = "${local.prefix}-emr-service"
    emr_ec2_role            = "${local.prefix}-emr-ec2"
    sagemaker_role          = "${local.prefix}-sagemaker"
    alerts_topic            = "${local.prefix}-alerts"
    emr_schedule            = "${local.prefix}-emr-every-15-min"
    model                   = "${local.prefix}-abalone-model"
  }

  buckets = {
    data      = "${local.prefix}-data-${local.account_id}"
    artifacts = "${local.prefix}-artifacts-${local.account_id}"
    logs      = "${local.prefix}-logs-${local.account_id}"
  }

  # EventBridge syntax for lab 2's "every 15 minutes".
  emr_schedule_expression = "cron(0/15 * * * ? *)"

  glue_common_arguments = {
    "--TempDir" = "s3://${local.buckets.data}/tmp/glue/"
  }

  # One entry per Glue job (module "glue_job" below is created for each).
  glue_jobs = {
    clean = {
      name       = local.names.clean_job
      role_name  = local.names.clean_role
      script     = "clean_customers.py"
      script_key = "glue/clean_customers.py"
      default_arguments = {
        "--output"     = "s3://${local.buckets.data}/curated/churn/"
        "--quarantine" = "s3://${local.buckets.data}/quarantine/churn/"
      }
      read_prefixes  = ["raw/churn/"]
      write_prefixes = ["curated/churn/", "quarantine/churn/", "tmp/glue/"]
      create_crawler = false
    }
    features = {
      name       = local.names.features_job
      role_name  = local.names.features_role
      script     = "build_features.py"
      script_key = "glue/build_features.py"
      default_arguments = {
        "--clean"    = "s3://${local.buckets.data}/curated/churn/"
        "--features" = "s3://${local.buckets.data}/features/churn/"
      }
      read_prefixes  = ["curated/churn/"]
      write_prefixes = ["features/churn/", "tmp/glue/"]
      create_crawler = var.create_crawler
    }
  }

  definition_files = {
    churn     = "${path.root}/../build/asl/churn.asl.json"
    emr       = "${path.root}/../build/asl/emr.asl.json"
    inference = "${path.root}/../build/asl/inference.asl.json"
  }
}

module "data_lake" {
  source        = "./modules/data_lake"
  name_prefix   = local.prefix
  name_suffix   = local.account_id
  force_destroy = var.env != "prod"
  tags          = local.tags
}

module "glue_job" {
  source              = "./modules/glue_job"
  for_each            = local.glue_jobs
  name                = each.value.name
  role_name           = each.value.role_name
  script_path         = "${path.root}/../glue_jobs/${each.value.script}"
  script_bucket       = module.data_lake.bucket_names["artifacts"]
  script_key          = each.value.script_key
  extra_py_files_path = "${path.root}/../build/glue/churn_transforms.zip"
  extra_py_files_key  = "glue/churn_transforms.zip"
  default_arguments   = merge(local.glue_common_arguments, each.value.default_arguments)
  glue_version        = var.glue_version
  worker_type         = var.glue_worker_type
  number_of_workers   = var.glue_workers
  timeout_minutes     = var.glue_timeout_minutes
  read_s3_arns        = [for p in each.value.read_prefixes : "${local.s3}${local.buckets.data}/${p}*"]
  write_s3_arns       = [for p in each.value.write_prefixes : "${local.s3}${local.buckets.data}/${p}*"]
  bucket_arns         = [module.data_lake.bucket_arns["data"], module.data_lake.bucket_arns["artifacts"]]
  create_crawler      = each.value.create_crawler
  crawl_s3_path       = "s3://${local.buckets.data}/features/churn/"
  tags                = local.tags
}

module "emr_roles" {
  source               = "./modules/emr_roles"
  service_role_name    = local.names.emr_service_role
  instance_role_name   = local.names.emr_ec2_role
  data_bucket_arn      = module.data_lake.bucket_arns["data"]
  artifacts_bucket_arn = module.data_lake.bucket_arns["artifacts"]
  logs_bucket_arn      = module.data_lake.bucket_arns["logs"]
  tags                 = local.tags
}

resource "aws_s3_object" "emr_app" {
  bucket = module.data_lake.bucket_names["artifacts"]
  key    = "emr/partition_dataset.py"
  source = "${path.root}/../emr_jobs/partition_dataset.py"
  etag   = filemd5("${path.root}/../emr_jobs/partition_dataset.py")
  tags   = local.tags
}

module "sagemaker_model" {
  source              = "./modules/sagemaker_model"
  name                = local.names.model
  role_name           = local.names.sagemaker_role
  image               = var.sklearn_image
  model_artifact_path = "${path.root}/../build/models/abalone/model.tar.gz"
  model_bucket        = module.data_lake.bucket_names["artifacts"]
  model_key           = "models/abalone/model.tar.gz"
  input_s3_arn        = "${local.s3}${local.buckets.data}/raw/abalone/*"
  output_s3_arn       = "${local.s3}${local.buckets.data}/predictions/abalone/*"
  tags                = local.tags
}

module "alerts" {
  source              = "./modules/alerts"
  topic_name          = local.names.alerts_topic
  email_addresses     = var.alert_emails
  state_machine_arns  = [module.sfn_churn.arn, module.sfn_emr.arn, module.sfn_inference.arn]
  publisher_role_arns = [module.sfn_churn.role_arn, module.sfn_emr.role_arn, module.sfn_inference.role_arn]
  tags                = local.tags
}

locals {
  topic_arn = "arn:${data.aws_partition.current.partition}:sns:${var.region}:${local.account_id}:${local.names.alerts_topic}"
}

module "sfn_churn" {
  source          = "./modules/state_machine"
  name            = local.names.churn_state_machine
  definition_file = local.definition_files.churn
  glue_job_arns   = [for job in module.glue_job : job.job_arn]
  sns_topic_arn   = local.topic_arn
  tags            = local.tags
}

module "sfn_emr" {
  source          = "./modules/state_machine"
  name            = local.names.emr_state_machine
  definition_file = local.definition_files.emr
  emr             = true
  pass_role_arns  = [module.emr_roles.service_role_arn, module.emr_roles.instance_role_arn]
  sns_topic_arn   = local.topic_arn
  tags            = local.tags
}

module "sfn_inference" {
  source          = "./modules/state_machine"
  name            = local.names.inference_state_machine
  definition_file = local.definition_files.inference
  sagemaker       = true
  pass_role_arns  = [module.sagemaker_model.role_arn]
  sns_topic_arn   = local.topic_arn
  tags            = local.tags
}

module "emr_schedule" {
  source              = "./modules/schedule"
  name                = local.names.emr_schedule
  schedule_expression = local.emr_schedule_expression
  state_machine_arn   = module.sfn_emr.arn
  enabled             = var.emr_schedule_enabled
  tags                = local.tags
}

module "monitoring" {
  source             = "./modules/monitoring"
  name_prefix        = local.prefix
  state_machine_arns = { churn = module.sfn_churn.arn, emr = module.sfn_emr.arn, inference = module.sfn_inference.arn }
  glue_job_names     = [for job in local.glue_jobs : job.name]
  alarm_topic_arn    = module.alerts.topic_arn
  tags               = local.tags
}

module "budget" {
  source          = "./modules/budget"
  count           = length(var.budget_emails) > 0 ? 1 : 0
  name            = "${local.prefix}-monthly"
  limit_usd       = var.budget_limit_usd
  email_addresses = var.budget_emails
  tags            = local.tags
}
