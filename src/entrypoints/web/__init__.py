"""The Care Passport portal: server-rendered pages for employees, employers' approvers, the
college and auditors, beside the HTTP API (ADR 0024)."""
