"""Mail: the notifications the product owes people and the delivery of each one."""
