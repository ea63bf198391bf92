"""REST edge: TF Serving REST (``/v1``), KServe v2 REST (``/v2``) and config endpoints as ASGI.

Public API: :func:`ovms.api_rest.app.build_app`. ASGI and HTTP details stay inside this package.
"""
