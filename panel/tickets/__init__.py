"""The ticket pages (`/tickets`, `/tickets/<number>`, `/tickets/new`) over store/tickets/.

The store keeps every rule — the lifecycle, the audit, the time limits and
who may read a confidential complaint; the pages show it and send changes.
"""

from panel.tickets.views import bp

__all__ = ["bp"]
