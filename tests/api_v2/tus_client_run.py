"""Run tuspy (a tus client written by others) as its own process, so a test can kill it:
    python tus_client_run.py URL TOKEN FILE URL_STORE CHUNK_SIZE
Prints ``offset N`` after every chunk and ``photo ID`` at the end. The upload URL is kept in
tuspy's own URL store (keyed by the file's fingerprint), so a second run resumes."""

from __future__ import annotations

import hashlib
import sys

from tusclient import client
from tusclient.storage import filestorage


def md5_of(path: str) -> str:
    """Claimed in Upload-Metadata: the server refuses the file (460) unless the MD5 it carried
    from chunk to chunk, across the two runs, is the file's."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()


def main(url: str, token: str, path: str, store: str, chunk_size: str) -> None:
    tus = client.TusClient(url + "/api/v2/uploads/", headers={"Authorization": f"Bearer {token}"})
    uploader = tus.uploader(path, chunk_size=int(chunk_size), store_url=True,
                            url_storage=filestorage.FileStorage(store), retries=5, retry_delay=1,
                            metadata={"filename": "big.jpg", "md5": md5_of(path)},
                            upload_checksum=True)
    print("start", uploader.offset, flush=True)
    if not uploader.url:
        uploader.set_url(uploader.create_url())
    while uploader.offset < uploader.stop_at:
        uploader.upload_chunk()
        print("offset", uploader.offset, flush=True)
    print("photo", uploader.request.response_headers.get("imgbackup-photo-id"), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
