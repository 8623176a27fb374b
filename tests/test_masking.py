"""Secrets never shown or logged: applog.masking.mask_secrets (store.mask_secrets is the same
function), on the forms a tester found unmasked and the ones masked before."""
import logging

import pytest

import applog
import store
from applog.masking import mask_secrets


@pytest.mark.parametrize("text, expected", [
    ("postgresql+psycopg://alice:s3cretPW@db.example.org:5432/tandem",
     "postgresql+psycopg://alice:***@db.example.org:5432/tandem"),
    ("connect: host=db password='s3cret PW' dbname=x", "connect: host=db password=*** dbname=x"),
    ("PGPASSWORD=s3cretPW psql -h db", "PGPASSWORD=*** psql -h db"),
    ("TANDEM_LLM_API_KEY=sk-live-123 tandem llm-suggest", "TANDEM_LLM_API_KEY=*** tandem llm-suggest"),
    ("Authorization: Bearer sk-abcdef123456", "Authorization: Bearer ***"),
    ("?user=a&password=p%40ss&sslmode=require", "?user=a&password=***&sslmode=require"),
    # ordinary words stay
    ("a password is required; the token count = 5", "a password is required; the token count = 5"),
])
def test_mask_secrets(text, expected):
    assert mask_secrets(text) == expected
    assert store.mask_secrets is mask_secrets


def test_the_log_masks_what_the_page_masks(tmp_path, monkeypatch):
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path))
    log = applog.setup(False)
    try:
        logging.getLogger("quant").error("PGPASSWORD=s3cretPW and Bearer sk-abcdef123456 and postgresql://a:b@h/x")
        for handler in applog._HANDLERS.values():
            handler.flush()
        text = log.read_text(encoding="utf-8")
    finally:
        applog.setup(False)
    assert "s3cretPW" not in text and "sk-abcdef123456" not in text and "a:b@" not in text
    assert "PGPASSWORD=*** and Bearer *** and postgresql://a:***@h/x" in text
