"""Selecting the right training: needs per employee, explained recommendations and phased,
schedulable plans (DOMAIN.md, "Selecting the training"; the seed's title)."""
