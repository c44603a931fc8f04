// Keeps the library non-empty while use cases are added.
