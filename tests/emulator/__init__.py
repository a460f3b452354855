"""A local, stateful HTTPS emulator of the Azure services the extension talks to.

Each service keeps its state and rules in a backend (``services/<name>/models.py``) that knows nothing of
HTTP; its routes (``services/<name>/routes.py``) translate requests into backend calls. The server
(``server.py``) only parses HTTP, applies injected faults, logs requests and dispatches to routes.
"""
