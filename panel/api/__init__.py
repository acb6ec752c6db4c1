"""The back-office data interface: an HTTP JSON API under /api/ (panel/api/views.py).

Tokens (store/apitokens, `switchflow token`) in `Authorization: Bearer`,
each with scopes; tickets, customers' accounts and usage, call records and
meter readings; the contract in panel/api/openapi.json.
"""
