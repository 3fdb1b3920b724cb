"""Mail adapters: mailers (in memory, file, SMTP), the inbound mailbox and the reply parser."""
