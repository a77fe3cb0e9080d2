"""What a rename changes outside graph and instances occurrences, as pure functions (no server)."""

from __future__ import annotations

from rbcc.dsl import SourceRange
from rbcc.lsp.rename import commands_refs, descriptor_refs, file_moves, placeholder_refs, plan, refusal
from tests.lsp_client import make_app

DESCRIPTOR = """name = app
exports-prefix = Lamp
# exports = App.ip as commented
exports = App.ip as app-ip, \\
\tAppServer.port as port, App.port as app-port
other = App.ip
"""


def spans(ranges: list[SourceRange]) -> list[tuple[int, int, int]]:
    return [(r.start_line, r.start_column, r.end_column) for r in ranges]


def test_descriptor_exports_including_continuation_lines_and_nothing_else():
    found = descriptor_refs(DESCRIPTOR, "descriptor/application.properties", "App")
    assert spans(found) == [(4, 11, 14), (5, 26, 29)]
    assert spans(descriptor_refs(DESCRIPTOR, "d", "AppServer")) == [(5, 2, 11)]


def test_placeholders_in_values():
    text = 'Web {\n\texports: url = "http://${App.ip}:${App.port}/${Apps.x}";\n}\n'
    assert spans(placeholder_refs(text, "graph/x.graph", "App")) == [(2, 27, 30), (2, 37, 40)]


def test_commands_create_and_bulk_instances_of_but_not_comments_or_instance_names():
    text = (
        "create App as app1 under /vm1\n"
        "CREATE App as App\n"
        "# create App as nope\n"
        "stop all instances of App\n"
        "deploy and start all /App\n"
        "create Apps as x\n"
    )
    assert spans(commands_refs(text, "commands/a.commands", "App")) == [(1, 8, 11), (2, 8, 11), (4, 23, 26)]


def test_recipe_folder_and_probe_files_move_with_the_component(tmp_path):
    app = make_app(tmp_path)
    (app / "probes").mkdir()
    (app / "probes" / "Tomcat.measures").write_text("[EVENT file x]\n/tmp/x\n")
    moves = [(a.relative_to(app).as_posix(), b.relative_to(app).as_posix()) for a, b in file_moves(app, "Tomcat", "J")]
    assert moves == [("graph/Tomcat", "graph/J"), ("probes/Tomcat.measures", "probes/J.measures")]


def test_refused_onto_a_declared_name_an_existing_folder_or_an_invalid_name(tmp_path):
    app = make_app(tmp_path)
    declared = [SourceRange("graph/main.graph", 14, 1, 14, 6)]
    assert refusal(app, "Tomcat", "MySQL", declared, True) == (
        "cannot rename Tomcat to MySQL: MySQL is already declared (graph/main.graph:14)"
    )
    (app / "graph" / "Jetty").mkdir()
    assert refusal(app, "Tomcat", "Jetty", [], True) == "cannot rename Tomcat to Jetty: graph/Jetty exists already"
    assert refusal(app, "Tomcat", "Je tty", [], True) is not None
    assert refusal(app, "Tomcat", "Undertow", [], True) is None


def test_plan_gathers_occurrences_and_references_once(tmp_path):
    app = make_app(tmp_path)
    occ = [SourceRange("graph/main.graph", 3, 1, 3, 7)]
    texts = {
        "descriptor/application.properties": "exports = Tomcat.ip as web-ip\n",
        "commands/scale.commands": "create Tomcat as t2 under /vm1\n",
        "graph/main.graph": "X {\n\texports: u = ${Tomcat.ip};\n}\n",
    }
    result = plan(app, "Tomcat", True, occ + occ, texts, "Jetty")
    assert {rel: spans(r) for rel, r in result.texts.items()} == {
        "graph/main.graph": [(3, 1, 7), (2, 17, 23)],
        "descriptor/application.properties": [(1, 11, 17)],
        "commands/scale.commands": [(1, 8, 14)],
    }
    assert [a.name for a, _b in result.moves] == ["Tomcat"]
    facet = plan(app, "web", False, [], texts | {"commands/f.commands": "create web as w\n"}, "www")
    assert "commands/f.commands" not in facet.texts and facet.moves == []
