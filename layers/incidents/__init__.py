"""Incidents (sự cố): record, follow and close them, linked to citizen reports.

``models`` (tables), ``kinds`` (types, severities, statuses with their labels and the
allowed transitions), ``geometry`` (validating what the operator drew), ``service``
(create, edit, move, note, link; who may do what), ``queries`` (reads) and ``views``
(what staff see).
"""
