from pathlib import Path

import pytest

from layers.feedback.media import MediaStore


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")
