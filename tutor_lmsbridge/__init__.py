"""Tutor plugin that connects Open edX with the applications around it."""
