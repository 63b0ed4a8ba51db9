# LocalStack (localstack/docker-compose.yml, needs LOCALSTACK_AUTH_TOKEN).
env                  = "dev"
endpoint             = "http://localhost:4566"
emr_schedule_enabled = false
