"""imgbackup: a self-hosted photo backup server and its command-line client."""

__version__ = "0.1.0"
