"""Matching use cases: skills, colleges and intakes, candidates, vacancies and their matches."""
