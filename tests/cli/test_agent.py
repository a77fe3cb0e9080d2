"""``rbcc agent``: its two ways of starting, and clear errors instead of tracebacks."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from rbcc.cli import main


def test_agent_needs_a_user_data_file_or_a_manager_and_a_token() -> None:
    for args in ([], ["--dm", "ws://127.0.0.1:1/rbcc/bus"], ["--token", "t"]):
        result = CliRunner().invoke(main, ["agent", *args])
        assert result.exit_code == 2
        assert "give either --user-data FILE, or --dm URL and --token T" in result.output


def test_agent_with_user_data_lacking_its_identity_says_what_is_missing(tmp_path: Path) -> None:
    data = tmp_path / "user-data.properties"
    data.write_text("application.name = App\nrbcc.dm.url = ws://127.0.0.1:1/rbcc/bus\n")
    result = CliRunner().invoke(main, ["agent", "--user-data", str(data)])
    assert result.exit_code == 2
    assert "the user data has no scoped.instance.path, rbcc.token" in result.output
    assert "Traceback" not in result.output
