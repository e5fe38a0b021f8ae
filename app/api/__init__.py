"""The HTTP surface: the blueprints (sessions, schemas, probes, docs) and the helpers they share.

Views are thin: they parse identifiers, ask ``app.access`` whether the caller
may, call the repository of ``app.store`` once, and answer JSON. Nothing
outside this package imports a blueprint; ``create_app`` registers them.
"""
