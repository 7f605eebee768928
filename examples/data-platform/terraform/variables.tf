# Written by `shipgate plan --env <env> --format tfvars-json > plan.auto.tfvars.json`
# (Terraform loads *.auto.tfvars.json by itself). Nothing here changes per release: adding,
# promoting or switching off jobs is an edit to .shipgate.yml.

variable "environment" {
  description = "The environment being deployed (staging, prod)."
  type        = string
}

variable "account" {
  description = "The AWS account the environment lives in (from .shipgate.yml)."
  type        = string
}

variable "tiers" {
  description = "The tiers this environment receives (also in a hotfix plan)."
  type        = list(string)
}

variable "enabled_jobs" {
  description = "The Glue jobs this environment gets: its tiers, minus switched-off departments. A hotfix plan keeps them all, so nothing is destroyed."
  type        = list(string)
}

variable "selected_jobs" {
  description = "The jobs this run touches: all of enabled_jobs, or the subset a hotfix (--tier) or --changes plan narrows to."
  type        = list(string)
}

variable "glue_jobs" {
  description = "Per job: tier, group (department), a pinned version and its metadata."
  type = map(object({
    tier              = string
    group             = string
    version           = optional(string)
    schedule          = optional(string)
    worker_type       = optional(string, "G.1X")
    number_of_workers = optional(number, 2)
  }))
}

variable "component_versions" {
  description = "Versions pinned per job in this environment (absent when none are)."
  type        = map(string)
  default     = {}
}

variable "region" {
  type = string
}

variable "glue_scripts_bucket" {
  type = string
}
