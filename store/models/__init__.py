"""The store's tables (peewee models), all bound to `base.database`."""
