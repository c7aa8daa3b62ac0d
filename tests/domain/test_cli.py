from typer.testing import CliRunner

from dagmaster.cli import app

runner = CliRunner()


def test_validate_accepts_the_shipped_workflows():
    result = runner.invoke(app, ["validate", "workflows"])
    assert result.exit_code == 0, result.output
    assert "ok  echo_test v1" in result.output


def test_validate_exits_1_and_prints_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "workflow_id: bad\nversion: 1\nnodes:\n  - {id: a, type: task, handler: nope,"
        " queue: light, depends_on: [b]}\n"
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:4: node 'a': depends on unknown node 'b'" in result.output
    assert "unknown handler 'nope'" in result.output
    assert "exactly one start node (found none)" in result.output


def test_graph_prints_mermaid_and_dot():
    mermaid = runner.invoke(app, ["graph", "size_routing"])
    assert mermaid.exit_code == 0
    assert mermaid.output.startswith("flowchart TD")
    assert 'n_route -->|"default"| n_small' in mermaid.output
    dot = runner.invoke(app, ["graph", "size_routing", "--dot"])
    assert '"large" -> "done" [style=dashed];' in dot.output


def test_plan_shows_order_and_skips_with_reasons():
    result = runner.invoke(app, ["plan", "size_routing", "-i", "size_bytes=10"])
    assert result.exit_code == 0, result.output
    assert "route: takes branch -> small" in result.output
    assert "skip large: branch not taken by conditional 'route'" in result.output
    assert result.output.index("run  measure") < result.output.index("run  small")
    assert "job would end completed" in result.output


def test_plan_rejects_bad_inputs_naming_the_field():
    result = runner.invoke(app, ["plan", "size_routing", "-i", "size_bytes=big"])
    assert result.exit_code == 1
    assert "inputs.size_bytes: expected integer, got string 'big'" in result.output


def test_unknown_workflow_id_is_a_clear_error():
    result = runner.invoke(app, ["graph", "nope"])
    assert result.exit_code == 1
    assert "unknown workflow 'nope'" in result.output


def test_validate_rejects_templates_the_sandbox_would_refuse(tmp_path):
    bad = tmp_path / "escape.yaml"
    bad.write_text(
        "workflow_id: escape\nversion: 1\nnodes:\n  - {id: start, type: start}\n"
        "  - {id: a, type: task, handler: echo, queue: light, depends_on: [start],\n"
        "     params: {x: \"{{ job | attr('__class__') }}\", y: \"{{ '{}'.format(1) }}\"}}\n"
        "  - {id: end, type: end, depends_on: [a]}\n"
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "the 'attr' filter is not available" in result.output
    assert "calling '.format()' is not available" in result.output
    assert f"{bad}:6: node 'a'" in result.output
