"""Audit: the tamper-evident log (an RFC 9162 tree over the notification log), signed
checkpoints, proofs and exports."""
