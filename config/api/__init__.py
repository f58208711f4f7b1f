"""The partner API's plumbing, shared by every app's ``api/`` package, one concern a module:

- ``problems``: errors as RFC 9457 problem details, and the one place mapping domain errors
  (``accounts.errors``) to HTTP;
- ``schema``: what the OpenAPI schema says about those problems, and its post-processing;
- ``serializers``: strict input (``InputSerializer``), ``validated`` and ``render``;
- ``fields``: serializer fields (``ScopedRelatedField``, local and aware times);
- ``filters``: the filter backend and the filters every app's ``FilterSet`` uses;
- ``pagination`` and ``throttling``: how much a caller gets;
- ``viewsets``: the base read view set;
- ``renderers``: bodies other than JSON (CSV, iCalendar, HTML, PDF).

Dependencies point one way: apps import this package; it imports no app's models. Its only
import from an app is ``accounts.errors`` (plain exception classes, the domain's typed errors),
which ``problems`` maps to responses. The API's authentication (knox tokens, which are a
model) and django-axes' lockout answer belong to ``accounts.api``.

DRF imports the classes named in its ``DEFAULT_*`` settings while it defines ``APIView``, so the
modules those settings name (``pagination``, ``throttling``, ``filters``) import none of DRF's
views, directly or through another module of this package.
"""
