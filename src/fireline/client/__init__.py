"""Client mode: with FIRELINE_URL set (or after `fireline login`) every command talks HTTP to a
fireline server instead of opening a store. Imports neither SQLAlchemy nor the policy engine.
"""
