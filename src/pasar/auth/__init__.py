"""Users, roles, passwords and API tokens: who may see and do what in Pasar."""
