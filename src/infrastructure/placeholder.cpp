// Keeps the library non-empty while adapters are added.
