// Keeps the library non-empty while interfaces are added.
