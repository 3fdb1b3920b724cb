"""D2L Brightspace: the Valence API client, the LMS ports on it, and Data Sets imports."""
