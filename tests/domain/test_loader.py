"""Every validation rule of the workflow language, each asserting its message and line."""

import textwrap

import pytest

from domain.loader import (
    WorkflowValidationError,
    load_workflow_dir,
    load_workflow_text,
    load_workflows,
)

HEADER = "workflow_id: t\nversion: 1\ndefaults: {queue: light}\n"


def problems_of(text: str, handlers=None) -> list[str]:
    with pytest.raises(WorkflowValidationError) as info:
        load_workflow_text(textwrap.dedent(text), "wf.yaml", handlers=handlers)
    return [str(p) for p in info.value.problems]


def nodes(body: str, inputs: str = "") -> str:
    text = HEADER
    if inputs:
        text += "inputs:\n" + textwrap.indent(textwrap.dedent(inputs), "  ")
    return text + "nodes:\n" + textwrap.indent(textwrap.dedent(body), "  ")


CHAIN = """\
- id: start
  type: start
- id: a
  type: task
  handler: echo
  depends_on: [start]
- id: end
  type: end
  depends_on: [a]
"""


def test_valid_workflow_loads():
    definition = load_workflow_text(nodes(CHAIN))
    assert [n.id for n in definition.nodes] == ["start", "a", "end"]


def test_yaml_syntax_error_names_the_line():
    (problem,) = problems_of("workflow_id: t\nnodes: [\n  - a: b\n")
    assert problem.startswith("wf.yaml:3:")
    assert "YAML syntax" in problem


def test_a_file_that_is_not_a_mapping_is_rejected():
    assert problems_of("- just\n- a list\n") == [
        "wf.yaml:1: a workflow file must be a YAML mapping"
    ]


def test_unknown_field_is_reported_with_node_and_line():
    text = nodes(CHAIN.replace("  handler: echo\n", "  handler: echo\n  hander: x\n"))
    assert problems_of(text) == ["wf.yaml:10: node 'a': hander: unknown field"]


def test_wrong_type_is_reported_with_field_path():
    text = nodes(CHAIN.replace("  handler: echo\n", "  handler: echo\n  timeout: soon\n"))
    (problem,) = problems_of(text)
    assert problem.startswith("wf.yaml:10: node 'a': timeout: invalid duration 'soon'")


def test_every_problem_is_reported_at_once():
    text = nodes(
        """\
        - id: start
          type: start
        - id: a
          type: task
          handler: echo
          depends_on: [nowhere]
          colour: red
        - id: end
          type: end
          depends_on: [ghost]
        """
    )
    found = problems_of(text)
    assert any("colour: unknown field" in p for p in found)
    assert any("node 'a': depends on unknown node 'nowhere'" in p for p in found)
    assert any("node 'end': depends on unknown node 'ghost'" in p for p in found)
    assert len(found) >= 3


def test_duplicate_ids_are_rejected():
    text = nodes(CHAIN + "- id: a\n  type: task\n  handler: echo\n  depends_on: [start]\n")
    assert any("node 'a': duplicate node id 'a'" in p for p in problems_of(text))


def test_unknown_dependency_names_the_node_and_line():
    text = nodes(CHAIN.replace("depends_on: [a]", "depends_on: [b]"))
    assert problems_of(text) == ["wf.yaml:13: node 'end': depends on unknown node 'b'"]


def test_cycle_is_printed_as_a_path():
    text = nodes(
        """\
        - id: start
          type: start
        - id: a
          type: task
          handler: echo
          depends_on: [start, c]
        - id: b
          type: task
          handler: echo
          depends_on: [a]
        - id: c
          type: task
          handler: echo
          depends_on: [b]
        - id: end
          type: end
          depends_on: [c]
        """
    )
    assert any("cycle: a -> b -> c -> a" in p for p in problems_of(text))


def test_missing_start_is_rejected():
    text = nodes(
        "- id: a\n  type: task\n  handler: echo\n  depends_on: [end]\n"
        "- id: end\n  type: end\n  depends_on: [a]\n"
    )
    assert any("exactly one start node (found none)" in p for p in problems_of(text))


def test_a_start_with_a_bad_field_still_counts_as_the_start():
    text = nodes(CHAIN.replace("  type: start\n", "  type: start\n  colour: red\n"))
    assert problems_of(text) == ["wf.yaml:7: node 'start': colour: unknown field"]


def test_two_starts_are_rejected():
    text = nodes(CHAIN + "- id: start2\n  type: start\n")
    assert any("exactly one start node (found 'start', 'start2')" in p for p in problems_of(text))


def test_missing_end_is_rejected():
    text = nodes(
        "- id: start\n  type: start\n- id: a\n  type: task\n  handler: echo\n"
        "  depends_on: [start]\n"
    )
    assert any("needs an end node (found none)" in p for p in problems_of(text))


def test_unreachable_end_is_rejected():
    text = nodes(
        """\
        - id: start
          type: start
        - id: island
          type: task
          handler: echo
          depends_on: [end]
        - id: end
          type: end
          depends_on: [island]
        """
    )
    found = problems_of(text)
    assert any("node 'end': end node 'end' is not reachable from start 'start'" in p for p in found)


def test_node_unreachable_from_start_is_rejected():
    text = nodes(
        CHAIN
        + "- id: lost\n  type: task\n  handler: echo\n  depends_on: [orphan]\n"
        + "- id: orphan\n  type: task\n  handler: echo\n  depends_on: [lost]\n"
    )
    assert any("node 'lost' is not reachable from start 'start'" in p for p in problems_of(text))


def test_node_without_dependencies_is_rejected():
    text = nodes(CHAIN + "- id: root\n  type: task\n  handler: echo\n")
    assert any("node 'root'" in p and "depends_on: Field required" in p for p in problems_of(text))


def test_unknown_handler_is_rejected_against_the_registry():
    (problem,) = problems_of(nodes(CHAIN), handlers={"other"})
    assert problem == "wf.yaml:9: node 'a': unknown handler 'echo' (known: other)"


def test_task_without_queue_and_without_default_is_rejected():
    text = nodes(CHAIN).replace("defaults: {queue: light}\n", "")
    (problem,) = problems_of(text)
    assert "node 'a': no queue: set 'queue: light' or 'queue: heavy'" in problem


def test_branch_target_must_be_a_direct_dependent():
    text = nodes(
        """\
        - id: start
          type: start
        - id: route
          type: conditional
          depends_on: [start]
          branches:
            - when: "{{ true }}"
              next: far
            - default: true
              next: end
        - id: far
          type: task
          handler: echo
          depends_on: [start]
        - id: end
          type: end
          depends_on: [route, far]
        """
    )
    (problem,) = problems_of(text)
    assert problem.startswith("wf.yaml:12: node 'route': branch target 'far' must list 'route'")


def test_template_syntax_error_is_reported():
    text = nodes(
        CHAIN.replace("  handler: echo\n", "  handler: echo\n  params: {x: '{{ inputs. }}'}\n")
    )
    (problem,) = problems_of(text)
    assert problem.startswith("wf.yaml:10: node 'a': template syntax error in '{{ inputs. }}'")


def test_template_reference_to_undeclared_input_is_rejected():
    text = nodes(
        CHAIN.replace("  handler: echo\n", "  handler: echo\n  params: {x: '{{ inputs.nope }}'}\n"),
        inputs="size: {type: integer}\n",
    )
    (problem,) = problems_of(text)
    assert "node 'a': undeclared input 'nope' (declared: size)" in problem


def test_template_reference_to_a_node_not_upstream_is_rejected():
    text = nodes(
        """\
        - id: start
          type: start
        - id: a
          type: task
          handler: echo
          depends_on: [start]
          params: {x: "{{ nodes.b.output }}"}
        - id: b
          type: task
          handler: echo
          depends_on: [start]
        - id: end
          type: end
          depends_on: [a, b]
        """
    )
    (problem,) = problems_of(text)
    assert "node 'a': node not upstream 'b'" in problem


def test_item_outside_a_fan_out_is_rejected():
    text = nodes(
        CHAIN.replace("  handler: echo\n", "  handler: echo\n  params: {x: '{{ item }}'}\n")
    )
    (problem,) = problems_of(text)
    assert "'item' is only defined in a fan_out task's params" in problem


def test_fan_in_must_follow_a_fan_out():
    text = nodes(CHAIN + "- id: m\n  type: fan_in\n  depends_on: [a]\n")
    assert problems_of(text) == [
        "wf.yaml:16: node 'm': a fan_in depends on a fan_out node; 'a' is a task"
    ]


def test_input_default_must_match_its_type():
    text = nodes(CHAIN, inputs="size: {type: integer, default: big}\n")
    (problem,) = problems_of(text)
    assert (
        problem.startswith("wf.yaml:5: inputs.size:")
        and "default 'big' is not of type integer" in problem
    )


def test_duplicate_workflow_versions_in_a_folder_are_rejected(tmp_path):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(nodes(CHAIN))
    with pytest.raises(WorkflowValidationError) as info:
        load_workflow_dir([tmp_path])
    assert "workflow 't' version 1 is also defined in" in str(info.value)


def test_sub_workflow_must_exist_in_the_folder(tmp_path):
    (tmp_path / "a.yaml").write_text(
        nodes(
            CHAIN.replace(
                "  type: task\n  handler: echo\n", "  type: sub_workflow\n  workflow_id: missing\n"
            )
        )
    )
    with pytest.raises(WorkflowValidationError) as info:
        load_workflow_dir([tmp_path])
    assert "node 'a': sub_workflow 'missing' is not defined" in str(info.value)


def test_load_workflows_keeps_the_valid_files_and_says_why_others_are_out(tmp_path):
    (tmp_path / "good.yaml").write_text(nodes(CHAIN))
    (tmp_path / "bad.yaml").write_text("workflow_id: [unclosed\n")
    found = load_workflows([tmp_path])
    assert list(found.workflows) == [("t", 1)]
    [problem] = found.problems
    assert str(problem).startswith(f"{tmp_path / 'bad.yaml'}:")


def test_load_workflows_leaves_out_a_workflow_whose_sub_workflow_is_out(tmp_path):
    parent = CHAIN.replace(
        "  type: task\n  handler: echo\n", "  type: sub_workflow\n  workflow_id: missing\n"
    )
    (tmp_path / "parent.yaml").write_text(nodes(parent).replace("workflow_id: t", "workflow_id: p"))
    (tmp_path / "other.yaml").write_text(nodes(CHAIN))
    found = load_workflows([tmp_path])
    assert list(found.workflows) == [("t", 1)]
    assert "node 'a': sub_workflow 'missing' is not defined" in str(found.problems[0])


def test_a_storage_input_must_be_a_string():
    text = nodes(CHAIN, inputs="where: {type: integer, storage: input}\n")
    (problem,) = problems_of(text)
    assert problem.startswith("wf.yaml:5: inputs.where:")
    assert "a storage input names a container: type string, not integer" in problem


def test_a_storage_input_is_for_input_or_output():
    (problem,) = problems_of(nodes(CHAIN, inputs="where: {type: string, storage: scratch}\n"))
    assert problem.startswith("wf.yaml:5: inputs.where.storage:")


def test_a_duplicate_key_is_rejected_with_both_lines():
    text = "workflow_id: t\nversion: 1\nversion: 2\nnodes: []\n"
    assert problems_of(text) == ["wf.yaml:3: duplicate key 'version' (first on line 2)"]


def test_a_merge_key_overriding_a_key_is_not_a_duplicate():
    text = nodes(CHAIN.replace("  handler: echo\n", "  <<: {handler: x}\n  handler: echo\n"))
    assert load_workflow_text(text).node("a").handler == "echo"


def test_an_alias_bomb_is_refused_at_once():
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    text = "workflow_id: t\nversion: 1\n" + "\n".join(lines) + "\nnodes: []\n"
    (problem,) = problems_of(text)
    assert "expands to more than 100000 nodes" in problem


def test_a_template_the_sandbox_refuses_is_rejected_statically_with_its_line():
    text = nodes(
        CHAIN.replace(
            "  handler: echo\n", "  handler: echo\n  params: {x: '{{ inputs.__class__ }}'}\n"
        )
    )
    (problem,) = problems_of(text)
    assert problem.startswith("wf.yaml:") and "node 'a'" in problem
    assert "attribute '__class__' is not available" in problem
