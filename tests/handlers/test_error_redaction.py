"""Error messages reach timelines and logs: SAS signatures in them are blanked."""

from handlers.base import NonRetryableError, redact
from handlers.execute import classify

URL = "http://127.0.0.1:10000/devstoreaccount1/c/t.tif?se=2026-11-22&sp=r&sv=2024&sig=abc%2Bdef%3D"


def test_sas_signature_is_redacted_and_the_rest_kept():
    assert redact(f"'/vsicurl/{URL}' not recognized") == (
        "'/vsicurl/http://127.0.0.1:10000/devstoreaccount1/c/t.tif"
        "?se=2026-11-22&sp=r&sv=2024&sig=REDACTED' not recognized"
    )


def test_handler_errors_carry_no_signature():
    error = NonRetryableError(f"cannot read {URL}", kind="corrupt_raster")
    assert "abc" not in error.message and "abc" not in str(error)


def test_unexpected_exceptions_are_classified_without_signature():
    error = classify(RuntimeError(f"{URL}: HTTP 500"))
    assert "sig=REDACTED" in error.message and "abc" not in error.message
