"""The error catalogue is data: every code well formed, and the generated page up to date."""

from __future__ import annotations

import re
import subprocess
import sys

from rbcc.dsl.catalogue import CODES, Level, load_catalogue
from tests.support import REPO_DIR

REPO = REPO_DIR


def test_every_code_has_a_level_and_a_message_and_an_upper_case_name():
    assert len(CODES) >= 187
    for code, info in CODES.items():
        assert re.fullmatch(r"[A-Z]+(_[A-Z0-9]+)+", code), code
        assert info.code == code and isinstance(info.level, Level) and info.message.strip()


def test_loading_twice_gives_the_same_table():
    assert load_catalogue() == CODES


def test_the_generated_error_codes_page_is_up_to_date():
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_error_codes.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_the_page_documents_every_code():
    page = (REPO / "docs" / "error-codes.md").read_text(encoding="utf-8")
    for code in CODES:
        assert f"### `{code}`" in page, code
