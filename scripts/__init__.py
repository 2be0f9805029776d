"""Command-line tools that sit above the trainers (LLM queries, run helpers)."""
