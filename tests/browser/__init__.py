"""Browser tests of the panel: the whole demo in headless Debian Chromium."""
