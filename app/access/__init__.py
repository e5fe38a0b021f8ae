"""Who may do what: tenants and their API keys, grants, quotas, rate limits, the audit trail."""
