"""Tables and schemas of the followup domain."""
