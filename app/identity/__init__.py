"""Identity: OpenID Connect sign-in, users and their roles (issue 18)."""
