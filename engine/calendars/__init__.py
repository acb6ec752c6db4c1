"""Clocks (real and virtual) and business calendars (hours, holidays)."""
