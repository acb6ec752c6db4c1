"""Account opening and closing pages (`/accounts/new`, `/accounts/<account>/close`).

The rules — the account number, what must be settled — are the store's
(store/accounts_open.py); the pages take the agent's input and read the
answer out.
"""

from panel.accounts.views import bp

__all__ = ["bp"]
