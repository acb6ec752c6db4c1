"""User management for administrators: /admin/users."""
