"""Query functions, named for what they answer; they take the session first and never commit."""
