"""Scoring: tasks, gold, submissions, metrics; the public API (:func:`score`, :func:`validate`)."""
