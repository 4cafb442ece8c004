"""Authentication and user management for this app.

Small modules with one job each; see the table in README.md ("Where things live").
"""
