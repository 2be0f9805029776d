"""Method plug-ins that any baseline composes: ATPrompt (`atprompt`) and AnchorOPT (`anchoropt*`)."""
