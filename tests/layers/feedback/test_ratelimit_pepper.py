"""The anonymous rate limit stores a keyed hash of the IP: a leaked table cannot be reversed
by hashing every IPv4 address without the pepper."""

from __future__ import annotations

import hashlib
import hmac
import stat

import pytest

from layers.feedback import ratelimit
from layers.settings import get_settings


def test_the_hash_is_an_hmac_keyed_by_the_pepper():
    pepper = b"p" * 32
    digest = ratelimit.ip_hash("203.0.113.7", pepper)
    assert digest == hmac.new(pepper, b"iocmap-feedback-ip:203.0.113.7", hashlib.sha256).hexdigest()
    assert digest != ratelimit.ip_hash("203.0.113.7", b"q" * 32)
    assert digest != hashlib.sha256(b"iocmap-feedback-ip:203.0.113.7").hexdigest()  # the old, unkeyed hash


def test_a_configured_pepper_wins_over_the_generated_one(tmp_path):
    settings = get_settings(data_dir=tmp_path, feedback_ip_pepper="a-long-enough-secret-pepper")
    assert ratelimit.pepper_from(settings) == b"a-long-enough-secret-pepper"
    assert not (tmp_path / ratelimit.PEPPER_FILE).exists()


def test_without_a_setting_a_private_pepper_is_generated_once_in_the_data_dir(tmp_path):
    settings = get_settings(data_dir=tmp_path, feedback_ip_pepper=None)
    first = ratelimit.pepper_from(settings)
    path = tmp_path / ratelimit.PEPPER_FILE
    assert len(first) >= 32 and path.read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ratelimit.pepper_from(settings) == first  # another worker, a restart: the same secret


def test_a_short_pepper_is_refused(tmp_path):
    with pytest.raises(ValueError, match="16 characters"):
        ratelimit.pepper_from(get_settings(data_dir=tmp_path, feedback_ip_pepper="short"))
