"""Training: sponsorship requests and approvals, registrations, the LMS attempts and completions.

Everything a sponsored retake is, from the request to the completion the LMS sends back.
"""
