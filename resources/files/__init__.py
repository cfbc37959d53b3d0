"""The file store resource (key ``files``): the raw folders batches arrive in and the export folders."""

from resources.files.store import FileStoreResource, file_store_from_env

__all__ = ["FileStoreResource", "file_store_from_env"]
