class StorageUnavailable(RuntimeError):
    """Blob storage did not answer; the request can be retried later."""
