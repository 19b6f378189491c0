"""Citizen feedback (phản ánh, kiến nghị): reports, routing, deadlines, workflow, photos.

Modules by concern: ``models`` (tables), ``categories``, ``routing`` (which agency and why),
``calendar`` (working days), ``workflow`` (allowed transitions), ``reports`` (submission),
``queries`` (reads), ``views`` (what each audience may see), ``photos`` and ``media``
(images), ``moderation``, ``templates``, ``ratelimit``, ``seed`` (default data).
"""

# Load the shared models module first: it imports every package's tables at its end (some
# of which import ours), so entering through a feedback module must not start that cycle
# half-way through our own models.
import layers.models  # noqa: F401
