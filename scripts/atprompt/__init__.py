"""ATPrompt run helpers (settings overrides for scripts/*/atprompt_*.sh and the attribute search)."""
