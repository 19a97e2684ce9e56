"""Tables and schemas of the imports domain."""
