"""The WeChat-facing runtime of workshop-bot (创新工作室助手)."""
