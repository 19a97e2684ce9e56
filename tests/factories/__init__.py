"""Plain factory functions, one module per domain: ``make_employee(session, **overrides)``."""
