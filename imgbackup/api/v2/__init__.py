"""API v2 (``/api/v2/``): the photo library for the web app, the mini program and the CLI.

The contract is docs/api.md; the OpenAPI document (openapi.py) describes the same endpoints."""
