"""The compiled C kernels of the text operators (private): the sources and their ctypes loaders."""
