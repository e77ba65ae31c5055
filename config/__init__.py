"""The default registry of sources and alert rules, shipped as package data."""
