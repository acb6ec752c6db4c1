"""Prompt audio: where FreeSWITCH finds each prompt (layout) and how it is made (build)."""
