"""What completion proposes, as a pure function of the text around the cursor (no server)."""

from __future__ import annotations

from rbcc.dsl import graph_from_files, parse_text
from rbcc.lsp.completion import Catalog, complete

GRAPH = """
VM {
	installer: target;
	children: Server;
}
BigVM {
	extends: VM;
	children: db;
}
Server {
	installer: script;
	exports: port = 80;
}
Tomcat {
	extends: Server;
}
facet db {
	exports: dbPort = 5432;
}
facet sql {
	extends: db;
}
MySQL {
	installer: script;
	facets: sql;
}
Orphan {
	installer: script;
}
"""


def catalog(current: str = "main.graph") -> Catalog:
    graph = graph_from_files({"graph/main.graph": parse_text("graph/main.graph", GRAPH)})
    return Catalog(graph, ["main.graph", "a.graph", "b.graph"], ["main.instances", "x.instances"], current)


def labels(before: str, language: str = "graph", after: str = "", current: str = "main.graph") -> list[str]:
    return [p.label for p in complete(before, language, catalog(current), after)]


def test_prefix_matching_ignores_case_and_replaces_the_typed_prefix():
    [proposal] = complete("VM {\n\tINST", "graph", catalog())
    assert (proposal.label, proposal.insert, proposal.replace) == ("installer: ", "installer: ", 4)
    [proposal] = complete("instance of vm {\n\tNa", "instances", catalog())
    assert (proposal.insert, proposal.replace) == ("name: ", 2)


def test_a_property_typed_with_the_wrong_case_is_respelled_whole():
    [proposal] = complete("instance of VM {\n\tnAMe:", "instances", catalog())
    assert (proposal.insert, proposal.replace) == ("name: ", len("nAMe:"))
    [proposal] = complete("VM {\n\tInstaller: ", "graph", catalog())
    assert (proposal.insert, proposal.replace) == ("installer: ", len("Installer: "))
    assert complete("instance of VM {\n\tname:", "instances", catalog()) == []


def test_import_leaves_out_the_edited_file_and_files_already_imported_before_or_after():
    assert labels("import a.graph;\nimport ") == ["b.graph"]
    assert labels("import ", after="\nimport b.graph;\nVM {\n}\n") == ["a.graph"]
    assert labels("import ", after="\n# import b.graph;\n") == ["a.graph", "b.graph"]
    assert labels("import ", "instances", current="main.instances") == ["x.instances"]


def test_properties_the_block_already_sets_are_not_proposed_again():
    assert labels("VM {\n\tinstaller: target;\n\t", after="\n\tchildren: Server;\n}\n") == [
        "exports: ",
        "extends: ",
        "facets: ",
        "imports: ",
    ]
    # a property of a nested or a following block does not count
    text = "instance of VM {\n\tinstance of Server {\n\t\tname: s;\n\t}\n\t"
    assert "name: " in labels(text, "instances", after="\n}\ninstance of VM {\n\tname: b;\n}\n")
    inside = labels("instance of VM {\n\tinstance of Server {\n\t\tname: s;\n\t\t", "instances", after="\n\t}\n}")
    assert "name: " not in inside and "Server.port: " in inside
    assert "Server.port: " not in labels("instance of Server {\n\tServer.port: 8080;\n\t", "instances")


def test_exports_and_imports_are_proposed_again_since_a_block_may_repeat_them():
    found = labels("Web {\n\texports: ip;\n\timports: db.*;\n\tex")
    assert "exports: " in found and "extends: " in found
    assert "imports: " in labels("Web {\n\timports: db.*;\n\tim")


def test_instance_of_at_top_level_offers_root_components_only():
    # Server, Tomcat (children of VM) and MySQL (a child of BigVM through its facet) are not roots
    assert labels("instance of ", "instances") == ["BigVM", "Orphan", "VM"]


def test_nested_instance_of_offers_children_through_inheritance_and_facets():
    # VM's children: Server and what extends it
    assert labels("instance of VM {\n\tinstance of ", "instances") == ["Server", "Tomcat"]
    # BigVM inherits VM's children and adds the facet db, which MySQL has through sql
    assert labels("instance of BigVM {\n\tinstance of ", "instances") == ["MySQL", "Server", "Tomcat"]
    assert labels("instance of Nope {\n\tinstance of ", "instances") == []


def test_target_is_an_installer_name():
    assert labels("VM {\n\tinstaller: ") == ["logger", "puppet", "script", "target"]
    assert labels("VM {\n\tinstaller: t") == ["target"]
