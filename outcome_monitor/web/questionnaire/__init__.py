"""What the client answers, written once for the tablet hand-over and the remote link.

Not a blueprint: the ``tablet`` and ``links`` blueprints own the routes and pass their sitting
to the flow (``flow.py``); ``questions.py`` builds the pages and reads the answers.
"""
