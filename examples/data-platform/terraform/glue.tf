# AFTER shipgate: one resource block, driven by the plan. Compare ../terraform-before/locals.tf.

provider "aws" {
  region = var.region

  # Refuse to run against the wrong account (the plan says which one this environment uses).
  allowed_account_ids = [var.account]
}

resource "aws_glue_job" "job" {
  for_each = var.glue_jobs

  name              = "${var.environment}-${each.key}"
  role_arn          = "arn:aws:iam::${var.account}:role/data-platform-glue"
  glue_version      = "4.0"
  worker_type       = each.value.worker_type
  number_of_workers = each.value.number_of_workers

  command {
    script_location = "s3://${var.glue_scripts_bucket}/jobs/${each.value.group}/${each.key}.py"
  }

  tags = {
    tier       = each.value.tier
    department = each.value.group
  }
}

resource "aws_glue_trigger" "schedule" {
  for_each = { for name, job in var.glue_jobs : name => job if job.schedule != null }

  name     = "${var.environment}-${each.key}-schedule"
  type     = "SCHEDULED"
  schedule = each.value.schedule

  actions {
    job_name = aws_glue_job.job[each.key].name
  }
}
