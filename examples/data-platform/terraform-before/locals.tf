# BEFORE shipgate: the job lists lived in Terraform locals, edited twice per release
# (once to add a job to the experimental list, once to move it to the stable list), and
# the department kill-switch was a conditional buried in the same file.
# `shipgate plan --format tfvars-json` replaces all of this: see ../terraform/.

variable "environment" {
  type = string # "stg" or "prod"
}

locals {
  stable_jobs = [
    "Cash_Collection_Date",
    "parking_permit_denormalised_data",
    "housing_repairs_dlo",
    # ... 84 more
  ]

  experimental_jobs = [
    "ml_parking_predictions",
    "housing_register_trends",
    # ... 23 more
  ]

  # Housing's source is corrupt: keep its jobs out of prod until it is fixed.
  housing_enabled = var.environment == "prod" ? false : true

  candidate_jobs = var.environment == "stg" ? concat(local.stable_jobs, local.experimental_jobs) : local.stable_jobs

  enabled_jobs = [
    for job in local.candidate_jobs : job
    if local.housing_enabled || !startswith(job, "housing_")
  ]
}

resource "aws_glue_job" "job" {
  count    = length(local.enabled_jobs)
  name     = "${var.environment}-${local.enabled_jobs[count.index]}"
  role_arn = "arn:aws:iam::111111111111:role/glue" # hand-edited per account

  command {
    script_location = "s3://dataplatform-${var.environment}-glue-scripts/${local.enabled_jobs[count.index]}.py"
  }
}
