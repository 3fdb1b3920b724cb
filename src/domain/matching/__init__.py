"""Matching: skills, approved colleges and their intakes, candidates who opted in, vacancies
under Ontario's posting rules, and the explainable match of one to the other."""
