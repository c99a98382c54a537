"""Photos: checked offline by the core, made to fit by the core's re-encoder."""

from __future__ import annotations

import base64

import pytest

import idcheck
from images import noisy_bmp, png


def test_a_png_is_read_from_its_header() -> None:
    data = png(120, 160)
    photo = idcheck.check_photo(data)
    assert (photo.format, photo.width, photo.height) == ("PNG", 120, 160)
    assert photo.base64_len == len(base64.b64encode(data))
    assert photo.warnings == [] and not photo.is_url
    assert photo.payload() == base64.b64encode(data).decode()
    assert repr(photo) == f"Photo(format='PNG', width=120, height=160, base64_len={photo.base64_len})"
    # The same photo as base64 text (with a data URL prefix), bytearray and memoryview.
    assert idcheck.check_photo("data:image/png;base64," + base64.b64encode(data).decode()).width == 120
    assert idcheck.check_photo(bytearray(data)).height == 160
    assert idcheck.check_photo(memoryview(data)).format == "PNG"


def test_small_photos_warn_and_urls_pass_through() -> None:
    assert idcheck.check_photo(png(40, 40)).warnings
    url = "https://oss.example.com/people/11010519491231002X.jpg?sig=abc"
    photo = idcheck.check_photo(url)
    assert photo.is_url and photo.format is None and photo.base64_len is None
    assert repr(photo) == "Photo(url)"  # the path may name the person


def test_too_large_then_fitted() -> None:
    bmp = noisy_bmp(400, 300)
    with pytest.raises(idcheck.PhotoError) as caught:
        idcheck.check_photo(bmp, max_base64_len=20_000)
    assert caught.value.code == "too_large"
    fitted = idcheck.fit_photo(bmp, max_base64_len=20_000)
    assert fitted[:2] == b"\xff\xd8"  # a JPEG
    photo = idcheck.check_photo(fitted, max_base64_len=20_000)
    assert photo.format == "JPEG" and photo.base64_len is not None and photo.base64_len <= 20_000
    # A photo that fits already comes back as it was.
    small = png(120, 160)
    assert idcheck.fit_photo(small) == small
    with pytest.raises(idcheck.PhotoError) as cannot:
        idcheck.fit_photo(bmp, max_base64_len=500)
    assert cannot.value.code == "cannot_fit"
    with pytest.raises(idcheck.PhotoError):
        idcheck.fit_photo(b"not an image")
    with pytest.raises(TypeError):
        idcheck.fit_photo("a str")  # type: ignore[arg-type]
