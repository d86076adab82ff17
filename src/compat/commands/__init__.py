"""One module per `compat` command; each exposes `register(app)`."""
