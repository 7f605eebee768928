terraform {
  required_version = ">= 1.3" # optional() object attributes

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}
