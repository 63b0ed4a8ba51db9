# The embedded local cloud (invoke local.up). `invoke deploy --target local` passes the
# endpoint of the running local cloud (-var endpoint=https://127.0.0.1:<port>) and trusts its
# CA through AWS_CA_BUNDLE; nothing here names a port.
env                  = "dev"
emr_schedule_enabled = false
alerts_inbox         = true
budget_emails        = ["budget@example.com"]
