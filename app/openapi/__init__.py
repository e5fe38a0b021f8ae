"""The OpenAPI 3.1 document: built from the URL map, the views' docstrings and the schemas."""
