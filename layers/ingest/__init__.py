"""Planners' file imports: formats, safety, encodings, CRS, validation, background jobs.

Modules: ``archive`` (staging, safe zips), ``readers``/``csvfile`` (formats),
``attributes`` (text and values), ``pipeline`` (read → validate → write), ``jobs``.
Nothing is imported here, so importing one module does not drag in the rest.
"""
