"""CLI subcommands, one module per group; each module defines ``register(subparsers)``."""
