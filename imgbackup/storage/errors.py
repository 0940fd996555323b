class StorageUnavailable(RuntimeError):
    """Blob storage did not answer; the request can be retried later."""


class StorageMisconfigured(StorageUnavailable):
    """Blob storage answered but refused us (wrong credentials, no such bucket): waiting will
    not help, the configuration must change. Still a 503 for API callers."""
