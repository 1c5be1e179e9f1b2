"""Annotation: the committed exports, annotator roles, agreement between passes and sampling."""
