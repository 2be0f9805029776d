"""Shared parts the trainers are wired from: CLIP set-up, text encoder, templates, prompt layouts, caches."""
