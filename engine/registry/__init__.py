"""Model manifests, the registry, checksums, versions and installation."""
