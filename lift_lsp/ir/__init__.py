"""The intermediate representation the reverse graph lifts functions into."""
