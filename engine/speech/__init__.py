"""What callers hear: prompt catalogues, numbers in words, `say` strings rendered to media."""
