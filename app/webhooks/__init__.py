"""Signed webhooks (issue 17): the change feed delivered to subscribers by `veerkracht worker`."""
