#!/usr/bin/env bash
# Runs when LocalStack is ready: mlpipe resources are created by `invoke deploy`
# (Terraform with the localstack tfvars), so this hook only reports readiness.
echo "mlpipe: LocalStack ready; deploy with: invoke deploy --target localstack"
