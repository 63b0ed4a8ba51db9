# LocalStack (localstack/docker-compose.yml, needs LOCALSTACK_AUTH_TOKEN). The endpoint comes
# from the mlpipe settings (INVOKE_MLPIPE_LOCALSTACK_ENDPOINT, default http://localhost:4566).
env                  = "dev"
emr_schedule_enabled = false
alerts_inbox         = true
