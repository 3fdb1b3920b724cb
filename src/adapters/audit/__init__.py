"""Where the audit tree is kept (tables beside the events) and the checkpoints (a folder)."""
