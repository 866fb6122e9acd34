"""Plugin core: discovery from the `agora.plugins` entry-point group, the registry and the public API.

Third parties (and the built-in features) import only `portal.plugins.api`.
"""
