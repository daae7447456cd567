"""CLI subcommands: each module defines ``register(app)``; the CLI loads them all."""
