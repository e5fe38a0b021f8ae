"""How gunicorn runs the service: its worker, its logger, its own error answers.

``gunicorn.conf.py`` names these; nothing else imports them.
"""
