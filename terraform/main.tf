# mlpipe: the churn (lab 1), emr and inference (lab 2) pipelines.
# Names and paths mirror mlpipe/config.py (Settings.name()/bucket()/paths): every name carries
# <project>-<env>, so two environments never collide (tests/unit/test_terraform_plan.py plans two).
# The lab's fixed names are only an explicit option: var.names.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  prefix     = "${var.project}-${var.env}"
  tags       = merge(var.extra_tags, { Project = var.project, Environment = var.env, ManagedBy = "mlpipe" })
  s3         = "arn:${data.aws_partition.current.partition}:s3:::"

  names = merge({
    churn_state_machine     = "${local.prefix}-churn"
    emr_state_machine       = "${local.prefix}-emr-partition"
    inference_state_machine = "${local.prefix}-abalone-inference"
    clean_job               = "${local.prefix}-churn-clean"
    features_job            = "${local.prefix}-churn-features"
    clean_role              = "${local.prefix}-glue-clean"
    features_role           = "${local.prefix}-glue-features"
    emr_service_role        = "${local.prefix}-emr-service"
    emr_ec2_role            = "${local.prefix}-emr-ec2"
    sagemaker_role          = "${local.prefix}-sagemaker"
    alerts_topic            = "${local.prefix}-alerts"
    emr_schedule            = "${local.prefix}-emr-every-15-min"
    model                   = "${local.prefix}-abalone-model"
    glue_log_prefix         = "/aws-glue/jobs/${local.prefix}"
  }, var.names)

  # ARNs built from names (not from resource attributes), so every IAM policy is known at plan
  # time and can be linted from the plan (tests/unit/test_iam_lint.py).
  arn_prefix = "arn:${data.aws_partition.current.partition}"
  glue_job_arns = [for k in ["clean_job", "features_job"] :
  "${local.arn_prefix}:glue:${var.region}:${local.account_id}:job/${local.names[k]}"]
  role_arn = { for k in ["emr_service_role", "emr_ec2_role", "sagemaker_role"] :
  k => "${local.arn_prefix}:iam::${local.account_id}:role/${local.names[k]}" }
  bucket_arn = { for k, b in local.buckets : k => "${local.s3}${b}" }

  # Tags every EMR cluster request must carry (the SFN role's RunJobFlow condition); the ASL
  # renders the same tags (Settings.tags + the managed-policy tag).
  emr_request_tags = {
    "for-use-with-amazon-emr-managed-policies" = "true"
    Project                                    = var.project
    Environment                                = var.env
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
      script_key = "glue/clean_customers.py"
      default_arguments = {
        "--output"     = "s3://${local.buckets.data}/curated/churn/"
        "--quarantine" = "s3://${local.buckets.data}/quarantine/churn/"
      }
      read_prefixes  = ["raw/churn/"]
      write_prefixes = ["curated/churn/", "quarantine/churn/", "tmp/glue/"]
      create_crawler = false
      # the two jobs share the env's log groups: this one creates them
      create_log_groups = true
    }
    features = {
      name       = local.names.features_job
      role_name  = local.names.features_role
      script_key = "glue/build_features.py"
      default_arguments = {
        "--clean"    = "s3://${local.buckets.data}/curated/churn/"
        "--features" = "s3://${local.buckets.data}/features/churn/"
      }
      read_prefixes     = ["curated/churn/"]
      write_prefixes    = ["features/churn/", "tmp/glue/"]
      create_crawler    = var.create_crawler
      create_log_groups = false
    }
  }

  # Rendered ASL, the job scripts, the transforms zip and the model: `invoke deploy` builds
  # them into build_dir (Stack.build); nothing here reads outside it.
  build_dir = var.build_dir != "" ? var.build_dir : "${path.root}/../build"

  definition_files = {
    churn     = "${local.build_dir}/asl/churn.asl.json"
    emr       = "${local.build_dir}/asl/emr.asl.json"
    inference = "${local.build_dir}/asl/inference.asl.json"
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
  script_path         = "${local.build_dir}/${each.value.script_key}"
  script_bucket       = module.data_lake.bucket_names["artifacts"]
  script_key          = each.value.script_key
  extra_py_files_path = "${local.build_dir}/glue/churn_transforms.zip"
  extra_py_files_key  = "glue/churn_transforms.zip"
  default_arguments   = merge(local.glue_common_arguments, each.value.default_arguments)
  glue_version        = var.glue_version
  worker_type         = var.glue_worker_type
  number_of_workers   = var.glue_workers
  timeout_minutes     = var.glue_timeout_minutes
  read_s3_arns        = [for p in each.value.read_prefixes : "${local.s3}${local.buckets.data}/${p}*"]
  write_s3_arns       = [for p in each.value.write_prefixes : "${local.s3}${local.buckets.data}/${p}*"]
  bucket_arns         = [local.bucket_arn["data"], local.bucket_arn["artifacts"]]
  create_crawler      = each.value.create_crawler
  crawl_s3_path       = "s3://${local.buckets.data}/features/churn/"
  log_group_prefix    = local.names.glue_log_prefix
  create_log_groups   = each.value.create_log_groups
  log_retention_days  = var.glue_log_retention_days
  kms_key_arn         = var.kms_key_arn
  tags                = local.tags
}

module "emr_roles" {
  source                     = "./modules/emr_roles"
  service_role_name          = local.names.emr_service_role
  instance_role_name         = local.names.emr_ec2_role
  data_bucket_arn            = local.bucket_arn["data"]
  artifacts_bucket_arn       = local.bucket_arn["artifacts"]
  logs_bucket_arn            = local.bucket_arn["logs"]
  create_service_linked_role = var.create_emr_service_linked_role
  subnet_id                  = var.emr_subnet_id
  require_subnet             = var.endpoint == ""
  tags                       = local.tags
}

resource "aws_s3_object" "emr_app" {
  bucket = module.data_lake.bucket_names["artifacts"]
  key    = "emr/partition_dataset.py"
  source = "${local.build_dir}/emr/partition_dataset.py"
  etag   = filemd5("${local.build_dir}/emr/partition_dataset.py")
  tags   = local.tags
}

module "sagemaker_model" {
  source              = "./modules/sagemaker_model"
  name                = local.names.model
  role_name           = local.names.sagemaker_role
  account_id          = local.account_id
  image               = var.sklearn_image
  image_tag           = var.sklearn_image_tag
  model_artifact_path = "${local.build_dir}/models/abalone/model.tar.gz"
  model_bucket        = module.data_lake.bucket_names["artifacts"]
  model_key           = "models/abalone/model.tar.gz"
  data_bucket_arn     = local.bucket_arn["data"]
  input_prefix        = "raw/abalone/"
  output_prefix       = "predictions/abalone/"
  tags                = local.tags
}

module "alerts" {
  source               = "./modules/alerts"
  topic_name           = local.names.alerts_topic
  email_addresses      = var.alert_emails
  require_subscription = var.endpoint == ""
  kms_key_arn          = var.kms_key_arn
  state_machine_arns   = [for k in ["churn", "emr", "inference"] : local.state_machine_arn[k]]
  glue_job_names       = [local.names.clean_job, local.names.features_job]
  glue_job_alerts      = var.glue_job_alerts
  alarm_name_prefix    = "${local.prefix}-"
  inbox_queue_name     = var.alerts_inbox ? "${local.prefix}-alerts-inbox" : ""
  publisher_role_arns  = [for k in ["churn", "emr", "inference"] : "${local.arn_prefix}:iam::${local.account_id}:role/${local.names["${k}_state_machine"]}-sfn"]
  tags                 = local.tags
}

locals {
  # Publishers reach the topic's key through its alias (known at plan time; see modules/alerts).
  alerts_kms_alias = var.kms_key_arn == "" ? "alias/${local.names.alerts_topic}" : ""
  topic_arn        = "${local.arn_prefix}:sns:${var.region}:${local.account_id}:${local.names.alerts_topic}"
  state_machine_arn = { for k in ["churn", "emr", "inference"] :
  k => "${local.arn_prefix}:states:${var.region}:${local.account_id}:stateMachine:${local.names["${k}_state_machine"]}" }
}

module "sfn_churn" {
  source          = "./modules/state_machine"
  name            = local.names.churn_state_machine
  definition_file = local.definition_files.churn
  glue_job_arns   = local.glue_job_arns
  sns_topic_arn   = local.topic_arn
  sns_kms_key_arn = var.kms_key_arn
  sns_kms_alias   = local.alerts_kms_alias
  kms_key_arn     = var.kms_key_arn
  tags            = local.tags
}

module "sfn_emr" {
  source           = "./modules/state_machine"
  name             = local.names.emr_state_machine
  definition_file  = local.definition_files.emr
  definition_vars  = { emr_subnet_id = var.emr_subnet_id }
  emr              = true
  emr_request_tags = local.emr_request_tags
  single_flight    = true
  # The ASL checks that the day's input exists before it creates a cluster.
  s3_list_bucket_arn = local.bucket_arn["data"]
  s3_list_prefixes   = ["raw/telemetry/*"]
  pass_roles = [
    { arn = local.role_arn["emr_service_role"], service = "elasticmapreduce.amazonaws.com" },
    { arn = local.role_arn["emr_ec2_role"], service = "ec2.amazonaws.com" },
  ]
  sns_topic_arn   = local.topic_arn
  sns_kms_key_arn = var.kms_key_arn
  sns_kms_alias   = local.alerts_kms_alias
  kms_key_arn     = var.kms_key_arn
  tags            = local.tags
}

module "sfn_inference" {
  source          = "./modules/state_machine"
  name            = local.names.inference_state_machine
  definition_file = local.definition_files.inference
  sagemaker       = true
  pass_roles      = [{ arn = local.role_arn["sagemaker_role"], service = "sagemaker.amazonaws.com" }]
  sns_topic_arn   = local.topic_arn
  sns_kms_key_arn = var.kms_key_arn
  sns_kms_alias   = local.alerts_kms_alias
  kms_key_arn     = var.kms_key_arn
  tags            = local.tags
}

module "emr_schedule" {
  source              = "./modules/schedule"
  name                = local.names.emr_schedule
  schedule_expression = local.emr_schedule_expression
  state_machine_arn   = local.state_machine_arn["emr"]
  enabled             = var.emr_schedule_enabled
  tags                = local.tags
}

module "monitoring" {
  source             = "./modules/monitoring"
  name_prefix        = local.prefix
  state_machine_arns = { churn = module.sfn_churn.arn, emr = module.sfn_emr.arn, inference = module.sfn_inference.arn }
  alarm_topic_arn    = module.alerts.topic_arn
  tags               = local.tags
}

# The budget tells budget_emails, else the alert addresses: an AWS deploy always has one.
module "budget" {
  source          = "./modules/budget"
  count           = length(local.budget_emails) > 0 ? 1 : 0
  name            = "${local.prefix}-monthly"
  limit_usd       = var.budget_limit_usd
  email_addresses = local.budget_emails
  tags            = local.tags
}

locals {
  budget_emails = length(var.budget_emails) > 0 ? var.budget_emails : var.alert_emails
}
